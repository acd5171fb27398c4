//! The fleet from the Ansible inventory a team already keeps: the examples of Ansible's own
//! inventory guide (INI and YAML) give the hosts and groups, `@on:GROUP` runs on the
//! inventory's group over a real OpenSSH server, shakedown.toml adds and overrides hosts, and a
//! malformed inventory is refused at its file and line.

use std::path::{Path, PathBuf};

use indoc::formatdoc;

use crate::support::{DemoSite, Project};
use shakedown_testkit::sshd::Sshd;

fn documented(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ansible")
        .join(name)
}

/// A project whose `test` environment takes its hosts from `inventory`.
fn project_with(inventory: &Path) -> Project {
    let project = Project::new(
        "http://127.0.0.1:9",
        &format!("inventory = \"{}\"\n", inventory.display()),
    );
    project.file(
        "features/site.feature",
        "Feature: Site\n  Scenario: Home\n    When I request \"/\"\n",
    );
    project
}

#[test]
fn ansibles_documented_inventories_name_the_hosts_and_groups_of_the_fleet() {
    for inventory in ["hosts.ini", "hosts.yml"] {
        let project = project_with(&documented(inventory));
        let hosts = project.shakedown().args(["run", "--host", "nosuch"]).run();
        hosts.expect_code(2);
        for host in [
            "mail.example.com",
            "foo.example.com",
            "host1",
            "host2",
            "host3",
            "www01.example.com",
            "www03.example.com",
            "www49.example.com",
            "jumper",
        ] {
            assert!(
                hosts.stderr.contains(&format!("{host},")) || hosts.stderr.contains(&format!("{host})")),
                "{inventory}: no host `{host}` in {}",
                hosts.stderr
            );
        }
        // The stride of `www[01:50:2]` skips the even numbers; 50 is past the last step.
        for absent in ["www02.example.com", "www50.example.com", "northeast"] {
            assert!(!hosts.stderr.contains(absent), "{inventory}: {}", hosts.stderr);
        }
        project.file(
            "features/site.feature",
            "Feature: Site\n  @on:nosuch\n  Scenario: Home\n    When I request \"/\"\n",
        );
        let groups = project.shakedown().args(["run"]).run();
        groups.expect_code(2);
        // host2 is in atlanta and raleigh, both children of southeast, itself a child of usa.
        for group in [
            "atlanta",
            "raleigh",
            "southeast",
            "usa",
            "webservers",
            "ungrouped",
        ] {
            assert!(
                groups.stderr.contains(group),
                "{inventory}: no group `{group}` in {}",
                groups.stderr
            );
        }
        assert!(
            !groups.stderr.contains("all,"),
            "`all` is every host, no group of its own: {}",
            groups.stderr
        );
    }
    let ini = project_with(&documented("hosts.ini"));
    let hosts = ini.shakedown().args(["run", "--host", "nosuch"]).run();
    for host in [
        "db-a.example.com",
        "db-f.example.com",
        "badwolf.example.com",
        "other2.example.com",
    ] {
        assert!(
            hosts.stderr.contains(host),
            "no host `{host}` in {}",
            hosts.stderr
        );
    }
}

#[test]
fn at_on_group_runs_on_the_inventorys_group_over_ssh_and_shakedown_toml_adds_and_overrides_hosts() {
    let server = Sshd::start();
    let site = DemoSite::start(&[]);
    let project = Project::new(
        &site.url,
        &formatdoc! {r#"
            inventory = "ansible/hosts.ini"

            # Written here too: web02 is this machine after all, and `extra` joins the web group.
            [environments.test.hosts.web02]
            ssh = "local"

            [environments.test.hosts.extra]
            groups = ["web"]

            {ssh}
            connect_timeout = "3s"

            [limits]
            step_timeout = "5s"
        "#,
            ssh = server.ssh_toml(),
        },
    );
    project.file(
        "ansible/hosts.ini",
        &formatdoc! {"
            [web]
            web[01:02]

            [web:vars]
            ansible_host=127.0.0.1
            ansible_port={port}
            ansible_user={user}
            # Variables shakedown has no use for are ignored.
            http_port=8080

            [workers]
            localhost ansible_connection=local
        ",
            port = server.port,
            user = server.user,
        },
    );
    project.file(
        "features/servers.feature",
        indoc::indoc! {r#"
            Feature: The web servers
              @on:web
              Scenario: Each web server runs commands
                Then the command "uname -s" should succeed
        "#},
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome.expect_code(0);
    for host in ["web01", "web02", "extra"] {
        assert!(
            outcome
                .stdout
                .contains(&format!("Each web server runs commands [{host}]")),
            "{}",
            outcome.stdout
        );
    }
    assert!(
        !outcome.stdout.contains("[localhost]"),
        "localhost is not in the web group: {}",
        outcome.stdout
    );
    // Only web01 is reached over SSH: web02 is overridden to this machine.
    assert_eq!(server.accepted_logins(), 1, "{}", server.log());
}

#[test]
fn a_malformed_inventory_is_refused_at_its_file_and_line() {
    let inventories = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "bad.ini",
            "[web]\nweb1\n[web:children\n",
            "bad.ini:3:1: `[web:children` is not a group heading of an Ansible inventory",
        ),
        (
            "vars.ini",
            "# the port\n[web]\nweb1 port 22\n",
            "vars.ini:3:1: `port` after host `web1` is not a `key=value` host variable",
        ),
        (
            "range.ini",
            "[web]\nweb[04:01]\n",
            "range.ini:2:1: host `web[04:01]`: the range starts after it ends (`04` > `01`)",
        ),
        (
            "typo.yml",
            "web:\n  hots:\n    web1:\n",
            "typo.yml:2:3: not an Ansible YAML inventory: web: unknown field `hots`, expected one of `hosts`, `children`, `vars`",
        ),
    ];
    for (name, text, refusal) in cases {
        let path = inventories.path().join(name);
        std::fs::write(&path, text).expect("write the inventory");
        project_with(&path)
            .shakedown()
            .args(["check"])
            .run()
            .expect_code(2)
            .expect_stderr(refusal);
    }
    let missing = project_with(&inventories.path().join("absent.ini"));
    missing
        .shakedown()
        .args(["check"])
        .run()
        .expect_code(2)
        .expect_stderr("shakedown.toml:3:13: `environments.test.inventory`: cannot read");
}
