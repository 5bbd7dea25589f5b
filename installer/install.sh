#!/usr/bin/env bash
# Install the Agent Roster bundle for the current user (no root needed), or remove it.
#
#   ./install.sh                   # into ~/.local: programs, desktop entry, icons, MIME type
#   ./install.sh --prefix DIR      # somewhere else (DIR/bin, DIR/lib, DIR/share)
#   ./install.sh --uninstall       # remove what an install put there
#
# Run it from the built bundle (dist/agent-roster/install.sh, or the unpacked archive).
# It copies the bundle to PREFIX/lib/agent-roster, links PREFIX/bin/roster and
# PREFIX/bin/roster-designer, installs the desktop entry, the icons (16-512 px and
# scalable) and the application/x-agent-roster MIME type for *.roster.yaml, then refreshes
# the desktop, MIME and icon caches when their tools (update-desktop-database,
# update-mime-database, gtk-update-icon-cache) are installed. Exit status: 0 done,
# 2 bad usage or not run from a bundle.
set -euo pipefail

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

prefix="${HOME}/.local"
action=install
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }
                  prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --uninstall) action=uninstall; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done

here="$(cd "$(dirname "$0")" && pwd -P)"
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd -P)"
app_dir="$prefix/lib/agent-roster"
bin_dir="$prefix/bin"
share="$prefix/share"
desktop="$share/applications/agent-roster.desktop"
mime="$share/mime/packages/agent-roster.xml"

refresh_caches() {
    if command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$share/mime" || echo "install.sh: update-mime-database failed" >&2
    fi
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$share/applications" \
            || echo "install.sh: update-desktop-database failed" >&2
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$share/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
    fi
}

if [ "$action" = uninstall ]; then
    rm -f "$bin_dir/roster" "$bin_dir/roster-designer" "$desktop" "$mime"
    find "$share/icons/hicolor" -name 'agent-roster.*' -delete 2>/dev/null || true
    rm -rf "$app_dir"
    [ -d "$share/mime" ] && refresh_caches
    echo "Agent Roster removed from $prefix"
    exit 0
fi

if [ ! -x "$here/roster-designer" ] || [ ! -x "$here/roster" ] || [ ! -d "$here/share" ]; then
    echo "install.sh: $here is not an Agent Roster bundle (no roster, roster-designer, share/)." >&2
    echo "Build one with 'python installer/build.py' and run dist/agent-roster/install.sh." >&2
    exit 2
fi

if [ "$here" != "$app_dir" ]; then
    mkdir -p "$prefix/lib"
    rm -rf "$app_dir.new"
    cp -a "$here/." "$app_dir.new"
    rm -rf "$app_dir"
    mv "$app_dir.new" "$app_dir"
fi

mkdir -p "$bin_dir" "$share/applications" "$share/mime/packages"
ln -sfn "$app_dir/roster" "$bin_dir/roster"
ln -sfn "$app_dir/roster-designer" "$bin_dir/roster-designer"

# The desktop entry names the installed program by its full path, so it works even
# when PREFIX/bin is not on the PATH of the desktop session.
sed -e "s|^Exec=roster-designer|Exec=\"$app_dir/roster-designer\"|" \
    -e "s|^TryExec=.*|TryExec=$app_dir/roster-designer|" \
    "$app_dir/share/applications/agent-roster.desktop" > "$desktop.tmp"
mv "$desktop.tmp" "$desktop"
cp "$app_dir/share/mime/packages/agent-roster.xml" "$mime"
(cd "$app_dir/share/icons" && find hicolor -type f -name 'agent-roster.*' | while read -r icon; do
    mkdir -p "$share/icons/$(dirname "$icon")"
    cp "$icon" "$share/icons/$icon"
done)
refresh_caches

echo "Agent Roster installed in $app_dir"
echo "  programs: $bin_dir/roster, $bin_dir/roster-designer"
echo "  desktop entry: $desktop (opens *.roster.yaml files)"
case ":${PATH}:" in
    *":$bin_dir:"*) ;;
    *) echo "Note: $bin_dir is not on your PATH; add it to use 'roster' in a terminal." ;;
esac
