# Sourced by the setup scripts: `as_root WHY CMD…` runs CMD as root — directly when
# root, else through sudo (saying so first) — or stops with what to do instead.
as_root() {
    why="$1"
    shift
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        echo "$(basename "$0"): $why needs root: running 'sudo $*'" >&2
        sudo "$@"
    else
        echo "$(basename "$0"): $why needs root, and sudo is not installed: run" \
             "'$*' as root (su -c), then run this again" >&2
        exit 1
    fi
}
