#!/bin/sh
# Adds the Segue bundle next to this script to the desktop's application menu, for this user
# only (no root): the desktop entry, the AppStream metainfo and the icons, under
# ${XDG_DATA_HOME:-~/.local/share}, with Exec pointing at this folder's Segue executable.
#
#     ./install-desktop-entry.sh            # after unpacking Segue-<version>-linux-<arch>.tar.gz
#     ./install-desktop-entry.sh --remove   # take it out of the menu again
set -eu
here=$(cd "$(dirname "$0")" && pwd)
res="$here/_internal/resources"
[ -d "$res" ] || res="$(cd "$here/.." && pwd)"          # run from the source tree's resources/linux
data="${XDG_DATA_HOME:-$HOME/.local/share}"
id=io.github.segue.Segue

if [ "${1:-}" = "--remove" ]; then
    rm -f "$data/applications/$id.desktop" "$data/metainfo/$id.metainfo.xml" \
        "$data/icons/hicolor/scalable/apps/$id.svg" "$data"/icons/hicolor/*x*/apps/$id.png
    echo "Segue removed from the application menu"
    exit 0
fi

[ -x "$here/Segue" ] || { echo "no Segue executable in $here" >&2; exit 2; }
mkdir -p "$data/applications" "$data/metainfo" "$data/icons/hicolor/scalable/apps"
for png in "$res"/icons/png/segue-*.png; do
    n=${png##*/segue-}; n=${n%.png}
    mkdir -p "$data/icons/hicolor/${n}x${n}/apps"
    cp "$png" "$data/icons/hicolor/${n}x${n}/apps/$id.png"
done
cp "$res/icons/segue.svg" "$data/icons/hicolor/scalable/apps/$id.svg"
cp "$res/linux/$id.metainfo.xml" "$data/metainfo/$id.metainfo.xml"
# Exec quotes the path, with the desktop entry's escapes: a backslash, ", ` and $ after a
# backslash, each backslash then written twice (the value is read as a string first), and %
# doubled. TryExec is a plain string. No sed replacement: a & or | in the folder's name
# would be taken for sed's own.
exe="$here/Segue"
quoted=$(printf '%s' "$exe" | sed -e 's/\\/\\\\\\\\/g' -e 's/["`$]/\\\\&/g' -e 's/%/%%/g')
plain=$(printf '%s' "$exe" | sed -e 's/\\/\\\\/g')
while IFS= read -r line; do
    case $line in
        Exec=*) printf 'Exec="%s" %%F\n' "$quoted" ;;
        TryExec=*) printf 'TryExec=%s\n' "$plain" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$res/linux/$id.desktop" > "$data/applications/$id.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "Segue added to the application menu ($data/applications/$id.desktop)"
