@post-install
Feature: The server behind the site
  After an upgrade the scheduled jobs must still run, and the processes behind the site must
  be up. Ledger's per-minute cron job refreshes a heartbeat file; its crontab and heartbeat
  are in the demo's state folder (paths are relative to shakedown.toml).

  Scenario: The heartbeat job is still in the crontab
    Then the crontab "state/crontab" should contain "* * * * * ledger /usr/local/bin/ledger-heartbeat"
    And the command "grep -c ledger-heartbeat state/crontab" should succeed
    And its output should contain "1"

  Scenario: The heartbeat job ran on schedule
    Then the cron job "ledger-heartbeat" in "state/crontab" should have run on schedule, as shown by "state/heartbeat"
    And the file "state/heartbeat" should have changed within 5 minutes

  Scenario: The process serving the site is running
    Then a process named "shakedown" should be running
    # Port 1 (tcpmux) is one nobody serves: a stand-in for a port that must stay shut.
    And port 1 on "127.0.0.1" should be closed
