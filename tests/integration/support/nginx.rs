//! A real nginx on a loopback port with its own configuration and prefix folder, in the
//! foreground as one process, stopped when dropped (a failed assertion included).

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";

pub struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Nginx {
    /// nginx with its pid, logs and temporary files in `folder`, and `http` (the access log,
    /// `default_type` and the `server` blocks) inside its `http { }` block; back once it listens
    /// on `port`.
    pub fn start(folder: &Path, port: u16, http: &str) -> Self {
        assert!(
            Path::new(NGINX).exists(),
            "`{NGINX}` is missing: install Debian's `nginx` (ci/test does)"
        );
        let config = folder.join("nginx.conf");
        let dir = folder.display();
        std::fs::write(
            &config,
            format!(
                "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\n\
                 events {{}}\nhttp {{\n    client_body_temp_path {dir}/body;\n    proxy_temp_path {dir}/proxy;\n    \
                 fastcgi_temp_path {dir}/fastcgi;\n    uwsgi_temp_path {dir}/uwsgi;\n    scgi_temp_path {dir}/scgi;\n\
                 {http}\n}}\n"
            ),
        )
        .expect("nginx config");
        let child = Command::new(NGINX)
            .arg("-c")
            .arg(&config)
            .arg("-p")
            .arg(folder)
            .arg("-e")
            .arg(folder.join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let server = Nginx(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}
