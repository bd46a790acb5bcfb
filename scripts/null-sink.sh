#!/usr/bin/env bash
# A PulseAudio null sink: a real-time "sound card" that records, for machines
# without one (CI, containers). Playback through it runs at the real rate, and
# recording its monitor source (nullsink.monitor) returns what was played.
#
#   eval "$(scripts/null-sink.sh start)"      # or: scripts/null-sink.sh start ENVFILE; . ENVFILE
#   ... run sounddevice/PortAudio programs ...
#   scripts/null-sink.sh stop                 # uses $SEGUE_NULL_SINK_DIR from start
#
# `start` prints (and with ENVFILE also writes) the exports a client needs:
# XDG_RUNTIME_DIR, PULSE_SERVER and SEGUE_NULL_SINK_DIR. If the sink named by
# $SEGUE_NULL_SINK_DIR is already running it just prints them again.
# SEGUE_NULL_SINK_EXIT_IDLE=N makes the server exit after N seconds without
# clients (the tests use it, so a killed test run leaves no server behind).
# Needs pulseaudio and pulseaudio-utils (scripts/setup-system.sh installs them).
set -euo pipefail

cmd="${1:-}"
envfile="${2:-}"

exports() {
    local dir="$1"
    printf 'export XDG_RUNTIME_DIR=%q\n' "$dir"
    printf 'export PULSE_SERVER=%q\n' "unix:$dir/pulse/native"
    printf 'export SEGUE_NULL_SINK_DIR=%q\n' "$dir"
}

alive() {
    local dir="$1"
    [[ -n "$dir" && -f "$dir/pulse.pid" ]] && kill -0 "$(cat "$dir/pulse.pid")" 2>/dev/null
}

case "$cmd" in
start)
    for tool in pulseaudio pactl; do
        command -v "$tool" >/dev/null || { echo "null-sink: $tool not found (apt install pulseaudio pulseaudio-utils)" >&2; exit 1; }
    done
    if alive "${SEGUE_NULL_SINK_DIR:-}"; then
        dir="$SEGUE_NULL_SINK_DIR"
    else
        dir="$(mktemp -d "${TMPDIR:-/tmp}/segue-null-sink.XXXXXX")"
        chmod 700 "$dir"
        # -n: no default.pa, only what we load. Running as root gets a warning, not an error.
        XDG_RUNTIME_DIR="$dir" HOME="$dir" nohup pulseaudio -n --daemonize=no \
            --exit-idle-time="${SEGUE_NULL_SINK_EXIT_IDLE:--1}" \
            --use-pid-file=no --disable-shm=yes \
            -L module-native-protocol-unix -L "module-null-sink sink_name=nullsink" \
            -L module-always-sink >"$dir/pulse.log" 2>&1 &
        echo $! >"$dir/pulse.pid"
        for _ in $(seq 100); do
            if XDG_RUNTIME_DIR="$dir" PULSE_SERVER="unix:$dir/pulse/native" pactl info >/dev/null 2>&1; then
                break
            fi
            alive "$dir" || break
            sleep 0.1
        done
        if ! XDG_RUNTIME_DIR="$dir" PULSE_SERVER="unix:$dir/pulse/native" pactl info >/dev/null 2>&1; then
            echo "null-sink: pulseaudio did not start; its log:" >&2
            cat "$dir/pulse.log" >&2 || true
            kill "$(cat "$dir/pulse.pid")" 2>/dev/null || true
            exit 1
        fi
        XDG_RUNTIME_DIR="$dir" PULSE_SERVER="unix:$dir/pulse/native" pactl set-default-sink nullsink
        XDG_RUNTIME_DIR="$dir" PULSE_SERVER="unix:$dir/pulse/native" pactl set-default-source nullsink.monitor
    fi
    exports "$dir"
    if [[ -n "$envfile" ]]; then
        exports "$dir" >"$envfile"
    fi
    ;;
stop)
    dir="${envfile:-${SEGUE_NULL_SINK_DIR:-}}"
    if [[ -z "$dir" ]]; then
        echo "null-sink: which one? set SEGUE_NULL_SINK_DIR (printed by start) or pass its folder" >&2
        exit 2
    fi
    if alive "$dir"; then
        pid="$(cat "$dir/pulse.pid")"
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf -- "$dir"
    ;;
*)
    echo "usage: $0 start [ENVFILE] | stop [DIR]" >&2
    exit 2
    ;;
esac
