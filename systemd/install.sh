#!/usr/bin/env bash
# Install narrator as a systemd service on a device (Debian/Ubuntu/JetPack). Safe to run twice.
#
#   sudo systemd/install.sh               install or update, enable and start
#   sudo systemd/install.sh --jetson      venv with --system-site-packages (JetPack's torch and OpenCV)
#   sudo systemd/install.sh --uninstall   stop and remove the service and udev rules (keeps data)
#   sudo systemd/install.sh --uninstall --purge   ... and the archive, config, venv and user
#   systemd/install.sh --root DIR         stage the files under DIR only (no users, no systemctl)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT="" JETSON=0 UNINSTALL=0 PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(realpath -m "$2"); shift ;;
    --jetson) JETSON=1 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

APP="$ROOT/opt/narrator" ETC="$ROOT/etc/narrator" UNIT_DIR="$ROOT/etc/systemd/system"
RULES_DIR="$ROOT/etc/udev/rules.d" STATE="$ROOT/var/lib/narrator"
live() { [ -z "$ROOT" ]; }   # acting on this machine, not staging
say() { echo "narrator install: $*"; }

if [ "$UNINSTALL" = 1 ]; then
  if live && command -v systemctl >/dev/null; then
    systemctl disable --now narrator.service 2>/dev/null || true
  fi
  rm -f "$UNIT_DIR/narrator.service" "$RULES_DIR/99-narrator.rules"
  if live && command -v systemctl >/dev/null; then systemctl daemon-reload; udevadm control --reload || true; fi
  if [ "$PURGE" = 1 ]; then
    rm -rf "$APP" "$ETC" "$STATE"
    if live && id narrator >/dev/null 2>&1; then userdel narrator; fi
    say "removed service, rules, program, config, archive and user"
  else
    say "removed service and udev rules; kept $APP, $ETC and the archive in $STATE (--purge removes them)"
  fi
  exit 0
fi

if live && [ "$(id -u)" != 0 ]; then echo "install.sh: run as root (sudo), or stage with --root DIR" >&2; exit 1; fi

# 1. the service user, in the groups that own camera, serial ports and printers
if live && ! id narrator >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/narrator --shell /usr/sbin/nologin --groups video,dialout,lp narrator
  say "created user narrator"
fi

# 2. the program: a copy of the source and a venv (reused and updated on a second run)
mkdir -p "$APP"
rm -rf "$APP/src.new"
mkdir -p "$APP/src.new"
(cd "$SRC" && tar --exclude=.git --exclude='.venv*' --exclude=narrator-out --exclude=runs -cf - .) | tar -C "$APP/src.new" -xf -
rm -rf "$APP/src" && mv "$APP/src.new" "$APP/src"
if [ ! -x "$APP/venv/bin/python" ]; then
  if [ "$JETSON" = 1 ]; then python3 -m venv --system-site-packages "$APP/venv"; else python3 -m venv "$APP/venv"; fi
fi
if live || [ -n "${NARRATOR_INSTALL_PIP:-}" ]; then
  if [ "$JETSON" = 0 ] && [ "$(uname -m)" = x86_64 ]; then
    "$APP/venv/bin/pip" install -q "torch==2.13.0" || "$APP/venv/bin/pip" install -q torch --index-url https://download.pytorch.org/whl/cpu
  fi
  "$APP/venv/bin/pip" install -q "$APP/src"
fi

# 3. config: installed once, never overwritten
mkdir -p "$ETC"
if [ ! -f "$ETC/narrator.toml" ]; then
  sed 's|^archive_dir = .*|archive_dir = "/var/lib/narrator/archive"|' "$SRC/docs/narrator.example.toml" > "$ETC/narrator.toml"
  say "wrote $ETC/narrator.toml: edit it for your camera, printer and voices"
fi

# 4. udev rules and the unit
mkdir -p "$RULES_DIR" "$UNIT_DIR" "$STATE"
install -m 0644 "$SRC/hardware/udev/99-narrator.rules" "$RULES_DIR/99-narrator.rules"
install -m 0644 "$SRC/systemd/narrator.service" "$UNIT_DIR/narrator.service"
if live; then
  chown -R narrator:narrator "$STATE"
  udevadm control --reload && udevadm trigger || true
  systemctl daemon-reload
  systemctl enable narrator.service
  systemctl restart narrator.service
  say "running: see 'systemctl status narrator' and 'journalctl -u narrator -f'; check parts with '$APP/venv/bin/narrator doctor --config $ETC/narrator.toml'"
else
  say "staged under $ROOT"
fi
