#!/usr/bin/env bash
# Installs ipwatcher as a systemd service: binary, unit, sample configuration and deployment notes.
# Run deploy/install.sh --help for the options; deploy/README.md for what it does and what to do next.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy/install.sh [options]

Builds ipwatcher in release mode and installs
  PREFIX/bin/ipwatcher                                      0755 root:root
  /etc/systemd/system/ipwatcher.service                     0644 root:root
  /etc/systemd/system/ipwatcher.service.d/redis-password.conf
                                                            0644, only when /etc/ipwatcher/redis-password exists
  /etc/ipwatcher/                                           0755 root:root
  /etc/ipwatcher/ipwatcher.yaml                             0644 root:root, never overwritten: a changed
                                                            sample goes to ipwatcher.yaml.new instead
  PREFIX/share/doc/ipwatcher/                               deployment notes, Redis ACL, password drop-in
then runs `systemctl daemon-reload` when systemd is running.

Options:
  --prefix DIR     install the binary under DIR/bin (default /usr/local); the unit's ExecStart follows
  --no-build       do not build; install the existing .build/release/ipwatcher
  --binary FILE    do not build; install FILE as the binary
  --destdir DIR    stage everything under DIR instead of / (for packaging; systemctl is not run)
  --dry-run        print what would be done, change nothing
  -h, --help       this text

Build as yourself and install as root:
  swift build -c release --product ipwatcher && sudo deploy/install.sh --no-build
EOF
}

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"

prefix=/usr/local
destdir=""
build=1
binary=""
dry_run=0

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --destdir) [ $# -ge 2 ] || { echo "install.sh: --destdir needs a directory" >&2; exit 2; }; destdir="$2"; shift 2 ;;
        --destdir=*) destdir="${1#*=}"; shift ;;
        --binary) [ $# -ge 2 ] || { echo "install.sh: --binary needs a file" >&2; exit 2; }; binary="$2"; build=0; shift 2 ;;
        --binary=*) binary="${1#*=}"; build=0; shift ;;
        --no-build) build=0; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

case "$prefix" in
    /*) ;;
    *) echo "install.sh: --prefix must be an absolute path, not $prefix" >&2; exit 2 ;;
esac
prefix="${prefix%/}"
[ -n "$prefix" ] || prefix=/
if [ -n "$destdir" ]; then
    case "$destdir" in
        /*) ;;
        *) destdir="$PWD/$destdir" ;;
    esac
    destdir="${destdir%/}"
fi

bin_path="${prefix%/}/bin/ipwatcher"
doc_dir="${prefix%/}/share/doc/ipwatcher"
unit_path=/etc/systemd/system/ipwatcher.service
dropin_dir=/etc/systemd/system/ipwatcher.service.d
config_dir=/etc/ipwatcher
config_path="$config_dir/ipwatcher.yaml"
password_path="$config_dir/redis-password"

# Owners can only be set by root; a staging run as another user keeps the caller's.
owner_args=()
if [ "$(id -u)" -eq 0 ]; then
    owner_args=(-o root -g root)
elif [ -z "$destdir" ] && [ "$dry_run" -eq 0 ]; then
    echo "install.sh: run as root to install into / (or stage with --destdir DIR, or look first with --dry-run)" >&2
    exit 1
fi

# Prints a command (shell-quoted), then runs it unless this is a dry run.
run() {
    if [ "$dry_run" -eq 1 ]; then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

say() { printf '%s\n' "$*"; }

# --- the binary --------------------------------------------------------------------------------------------
if [ "$build" -eq 1 ]; then
    command -v swift >/dev/null 2>&1 || {
        echo "install.sh: swift is not on PATH; build first and pass --no-build (see --help)" >&2
        exit 1
    }
    run swift build --package-path "$repo_root" -c release --product ipwatcher
fi
if [ -z "$binary" ]; then
    binary="$repo_root/.build/release/ipwatcher"
fi
if [ ! -x "$binary" ]; then
    if [ "$dry_run" -eq 1 ]; then
        say "note: $binary does not exist (yet); a real run needs it"
    else
        echo "install.sh: no executable at $binary; build it (swift build -c release --product ipwatcher) or drop --no-build" >&2
        exit 1
    fi
fi

# --- the unit, with ExecStart and Documentation following the prefix -----------------------------------------
unit_source="$script_dir/ipwatcher.service"
work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
unit_rendered="$work_dir/ipwatcher.service"
sed -e "s#/usr/local/bin/ipwatcher#${bin_path}#g" \
    -e "s#/usr/local/share/doc/ipwatcher#${doc_dir}#g" \
    "$unit_source" >"$unit_rendered"
grep -q "^ExecStart=${bin_path} run " "$unit_rendered" || {
    echo "install.sh: could not set ExecStart to $bin_path in the unit" >&2
    exit 1
}

if [ "$dry_run" -eq 1 ]; then
    say "dry run: these are the commands a real run makes; nothing is changed"
    say "(the unit installed is deploy/ipwatcher.service with ExecStart=$bin_path run …)"
fi
say "installing ipwatcher into ${destdir:-/} (binary ${bin_path})"
run install -d -m 0755 "${owner_args[@]}" "$destdir${prefix%/}/bin" "$destdir/etc/systemd/system" "$destdir$doc_dir"
run install -m 0755 "${owner_args[@]}" "$binary" "$destdir$bin_path"
run install -m 0644 "${owner_args[@]}" "$unit_rendered" "$destdir$unit_path"
run install -m 0644 "${owner_args[@]}" "$script_dir/README.md" "$destdir$doc_dir/README.md"
run install -m 0644 "${owner_args[@]}" "$script_dir/redis-acl.conf" "$destdir$doc_dir/redis-acl.conf"
run install -m 0644 "${owner_args[@]}" "$script_dir/redis-acl-functions.conf" "$destdir$doc_dir/redis-acl-functions.conf"
run install -m 0644 "${owner_args[@]}" "$script_dir/redis-password.conf" "$destdir$doc_dir/redis-password.conf"

# --- configuration: created once, never overwritten ------------------------------------------------------------
run install -d -m 0755 "${owner_args[@]}" "$destdir$config_dir"
config_source="$repo_root/config/ipwatcher.yaml"
config_note=""
if [ ! -e "$destdir$config_path" ]; then
    run install -m 0644 "${owner_args[@]}" "$config_source" "$destdir$config_path"
    config_note="the sample configuration goes to $config_path; edit redis.url and the detection settings there"
elif cmp -s "$config_source" "$destdir$config_path"; then
    config_note="$config_path is the shipped sample already; left as it is"
else
    run install -m 0644 "${owner_args[@]}" "$config_source" "$destdir$config_path.new"
    config_note="$config_path exists and is kept; the new sample goes to $config_path.new (compare: diff -u $config_path $config_path.new)"
fi
say "$config_note"

# --- the Redis password as a credential, when there is one -----------------------------------------------------
dropin_note=""
if [ -e "$destdir$password_path" ]; then
    run install -d -m 0755 "${owner_args[@]}" "$destdir$dropin_dir"
    run install -m 0644 "${owner_args[@]}" "$script_dir/redis-password.conf" "$destdir$dropin_dir/redis-password.conf"
    dropin_note="$password_path exists: $dropin_dir/redis-password.conf passes it to the service as a credential"
    mode="$(stat -c %a "$destdir$password_path")"
    case "$mode" in
        600|400) ;;
        *) say "warning: $password_path has mode $mode; make it root-only: chmod 600 $password_path" ;;
    esac
    say "$dropin_note"
elif [ -e "$destdir$dropin_dir/redis-password.conf" ]; then
    say "warning: $dropin_dir/redis-password.conf is installed but $password_path is missing: the service will not start"
fi

# --- tell systemd ----------------------------------------------------------------------------------------------
systemd_running=0
if [ -z "$destdir" ] && [ -d /run/systemd/system ]; then
    systemd_running=1
    run systemctl daemon-reload
fi

say ""
say "Next steps:"
if [ -n "$destdir" ]; then
    say "  (staged under $destdir; on the target machine, as root:)"
    say "  systemctl daemon-reload"
elif [ "$systemd_running" -eq 0 ]; then
    say "  (systemd is not running here; on a machine where it is, as root:)"
    say "  systemctl daemon-reload"
fi
say "  $bin_path check-config --config $config_path   # the configuration in effect"
if [ -z "$dropin_note" ]; then
    say "  # Redis needs a password? Put it in $password_path (chmod 600) and run this script again."
fi
say "  # Redis ACL user with only what ipwatcher needs: $doc_dir/redis-acl.conf"
say "  # Redis >= 7: $doc_dir/redis-acl-functions.conf (no Lua of its own; ipwatcher redis install-functions)"
if [ "$systemd_running" -eq 1 ] && systemctl is-active --quiet ipwatcher.service 2>/dev/null; then
    say "  systemctl restart ipwatcher         # it is running the old binary"
else
    say "  systemctl enable --now ipwatcher"
fi
say "  systemctl status ipwatcher"
say "  journalctl -u ipwatcher -f"
