#!/usr/bin/env bash
# Run a command inside a private D-Bus session with an unlocked gnome-keyring.
#
#   .ci/keyring-session.sh .venv/bin/pytest -m keyring_integration tests/runtime/test_keyring_integration.py
#
# Needs the Debian packages gnome-keyring and dbus-daemon (which provides
# dbus-run-session):  apt-get install -y gnome-keyring dbus-daemon
#
# Everything lives in throw-away directories (XDG_DATA_HOME, XDG_RUNTIME_DIR, the daemon's
# HOME), so a fresh `login` keyring is created unlocked with the password below and no
# prompt, and nothing touches the caller's real keyring. The command runs *inside* the same
# dbus-run-session, so the daemon and its unlock state live exactly as long as it does.
# PYTHON_KEYRING_BACKEND is deliberately not set: unit tests inject their own backends, and
# the integration tests construct keyring.backends.SecretService.Keyring explicitly.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$0: $tool not found; install it with:" \
            "apt-get install -y gnome-keyring dbus-daemon" >&2
        exit 127
    fi
done

scratch="$(mktemp -d "${TMPDIR:-/tmp}/keyring-session.XXXXXX")"
stop_our_daemon() {
    # gnome-keyring-daemon normally exits with the session bus, but not if the bus goes away
    # while it is still starting (a command that ends at once). Stop the one this script
    # started, recognised by the private XDG_RUNTIME_DIR in its environment, and no other.
    local environ pid
    for environ in /proc/[0-9]*/environ; do
        pid="${environ#/proc/}"
        pid="${pid%/environ}"
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "gnome-keyring-d" ] || continue
        if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qxF "XDG_RUNTIME_DIR=$scratch/runtime"; then
            kill "$pid" 2>/dev/null || true
        fi
    done
}
cleanup() {
    stop_our_daemon
    rm -rf "$scratch" 2>/dev/null || { sleep 1; rm -rf "$scratch" 2>/dev/null || true; }
}
trap cleanup EXIT

mkdir -p "$scratch/home" "$scratch/data" "$scratch/runtime"
chmod 700 "$scratch" "$scratch/home" "$scratch/data" "$scratch/runtime"

export XDG_DATA_HOME="$scratch/data"
export XDG_RUNTIME_DIR="$scratch/runtime"
export KEYRING_SESSION_HOME="$scratch/home"
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL

# Inside the session: start the daemon unlocked (it reads the password on stdin; its
# keyrings go to $XDG_DATA_HOME/keyrings and a private HOME keeps it off the caller's
# files), then replace the shell with the command, whose exit status is the script's.
# shellcheck disable=SC2016  # expanded by the inner shell
dbus-run-session -- sh -c '
    printf "%s" "ci-pw" \
        | HOME="$KEYRING_SESSION_HOME" gnome-keyring-daemon --unlock --components=secrets >/dev/null \
        || { echo "keyring-session: gnome-keyring-daemon --unlock failed" >&2; exit 1; }
    unset KEYRING_SESSION_HOME
    exec "$@"
' sh "$@"
