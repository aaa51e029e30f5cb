#!/usr/bin/env bash
# Removes what deploy/install.sh installed. Keeps /etc/ipwatcher (configuration, password) unless --purge.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy/uninstall.sh [options]

Stops and disables ipwatcher.service (when systemd is running), then removes
  PREFIX/bin/ipwatcher, PREFIX/share/doc/ipwatcher/,
  /etc/systemd/system/ipwatcher.service and its redis-password.conf drop-in.
/etc/ipwatcher/ is kept unless --purge is given. The service keeps no other files (DynamicUser=yes).

Options:
  --prefix DIR     the prefix given to install.sh (default /usr/local)
  --destdir DIR    remove from a staging directory instead of / (systemctl is not run)
  --purge          also remove /etc/ipwatcher/ and every drop-in in /etc/systemd/system/ipwatcher.service.d/
  --dry-run        print what would be done, change nothing
  -h, --help       this text
EOF
}

prefix=/usr/local
destdir=""
purge=0
dry_run=0

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "uninstall.sh: --prefix needs a directory" >&2; exit 2; }; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --destdir) [ $# -ge 2 ] || { echo "uninstall.sh: --destdir needs a directory" >&2; exit 2; }; destdir="$2"; shift 2 ;;
        --destdir=*) destdir="${1#*=}"; shift ;;
        --purge) purge=1; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

case "$prefix" in
    /*) ;;
    *) echo "uninstall.sh: --prefix must be an absolute path, not $prefix" >&2; exit 2 ;;
esac
if [ -n "$destdir" ]; then
    case "$destdir" in
        /*) ;;
        *) destdir="$PWD/$destdir" ;;
    esac
    destdir="${destdir%/}"
fi
if [ -z "$destdir" ] && [ "$dry_run" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "uninstall.sh: run as root (or use --destdir DIR or --dry-run)" >&2
    exit 1
fi

bin_path="${prefix%/}/bin/ipwatcher"
doc_dir="${prefix%/}/share/doc/ipwatcher"
unit_path=/etc/systemd/system/ipwatcher.service
dropin_dir=/etc/systemd/system/ipwatcher.service.d
config_dir=/etc/ipwatcher

run() {
    if [ "$dry_run" -eq 1 ]; then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

systemd_running=0
if [ -z "$destdir" ] && [ -d /run/systemd/system ]; then
    systemd_running=1
    # Not loaded or already stopped is fine.
    run systemctl disable --now ipwatcher.service || true
fi

run rm -f "$destdir$bin_path" "$destdir$unit_path" "$destdir$dropin_dir/redis-password.conf"
run rm -rf "$destdir$doc_dir"
if [ "$purge" -eq 1 ]; then
    run rm -rf "$destdir$dropin_dir" "$destdir$config_dir"
elif [ -d "$destdir$dropin_dir" ]; then
    # Other drop-ins (systemctl edit) are yours: the directory goes only when empty.
    run rmdir --ignore-fail-on-non-empty "$destdir$dropin_dir"
fi

if [ "$systemd_running" -eq 1 ]; then
    run systemctl daemon-reload
    run systemctl reset-failed ipwatcher.service 2>/dev/null || true
fi

if [ "$purge" -eq 1 ]; then
    echo "removed ipwatcher, its unit and $config_dir"
else
    echo "removed ipwatcher and its unit; kept $config_dir (uninstall.sh --purge removes it)"
fi
if [ -n "$destdir" ] || [ "$systemd_running" -eq 0 ]; then
    echo "on the target machine, if the service was running: systemctl disable --now ipwatcher; systemctl daemon-reload"
fi
echo "The Redis ACL user, if you made one, stays: redis-cli ACL DELUSER ipwatcher"
