# What ci/bench and ci/soak share to start servers on loopback ports: sourced, not run.

# A loopback port nothing listens on (free when asked).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Whether the URL answers with a success within a second.
answers() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null
}
