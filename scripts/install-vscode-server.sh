#!/usr/bin/env bash
# Installs a real VS Code server (the one inside the npm package code-server) into .vscode-test/server,
# following shared/VSCODE_HOST.md: Microsoft's download servers are unreachable here, the npm registry is.
# Idempotent: a marker file makes a second run instant. Prints what it does; fails loudly on anything missing.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3" # ships VS Code 1.100.3, the last line that runs on Node 20
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_DIR="${PLUGIN_RUNTIME_VSCODE_SERVER_DIR:-$REPO_ROOT/.vscode-test/server}"
VSCODE_DIR="$SERVER_DIR/node_modules/code-server/lib/vscode"
MARKER="$SERVER_DIR/.installed-code-server-$CODE_SERVER_VERSION"

say() { printf '[install-vscode-server] %s\n' "$*"; }
die() { printf '[install-vscode-server] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ -f "$MARKER" && -f "$VSCODE_DIR/out/server-main.js" ]]; then
  say "already installed: $VSCODE_DIR (VS Code $(cat "$MARKER"))"
  exit 0
fi

# --- prerequisites: check all of them before spending minutes on npm ---------------------------------
missing=()
command -v rg >/dev/null 2>&1 || missing+=("ripgrep (rg)")
[[ -x /usr/bin/chromium ]] || missing+=("chromium (/usr/bin/chromium)")
if ! command -v krb5-config >/dev/null 2>&1 && [[ ! -f /usr/include/gssapi/gssapi.h ]]; then
  missing+=("libkrb5-dev (Kerberos headers for the native module 'kerberos')")
fi
command -v make >/dev/null 2>&1 || missing+=("make")
command -v g++ >/dev/null 2>&1 || missing+=("g++")
command -v python3 >/dev/null 2>&1 || missing+=("python3")
if (( ${#missing[@]} )); then
  printf '[install-vscode-server] ERROR: missing: %s\n' "${missing[*]}" >&2
  die "install them with: apt-get update && apt-get install -y libkrb5-dev ripgrep chromium"
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" == "20" ]] || say "warning: Node $(node -v); code-server $CODE_SERVER_VERSION is built for Node 20"

started=$SECONDS
mkdir -p "$SERVER_DIR"
cd "$SERVER_DIR"
[[ -f package.json ]] || npm init -y >/dev/null

# --ignore-scripts: code-server's postinstall downloads ripgrep from GitHub, which is unreachable here.
say "1/5 npm install code-server@$CODE_SERVER_VERSION (--ignore-scripts)"
npm install --no-audit --no-fund --ignore-scripts --loglevel=error "code-server@$CODE_SERVER_VERSION"
[[ -f "$VSCODE_DIR/out/server-main.js" ]] || die "code-server@$CODE_SERVER_VERSION has no lib/vscode/out/server-main.js"

say "2/5 npm install the VS Code server's own dependencies (--omit=dev --ignore-scripts)"
(cd "$VSCODE_DIR" && npm install --no-audit --no-fund --omit=dev --ignore-scripts --loglevel=error)

say "3/5 link ripgrep: $(command -v rg)"
mkdir -p "$VSCODE_DIR/node_modules/@vscode/ripgrep/bin"
ln -sf "$(command -v rg)" "$VSCODE_DIR/node_modules/@vscode/ripgrep/bin/rg"

# node-gyp ships with npm; fall back to npx only if this npm does not carry it. Called directly it does
# not see npm's config, so hand it npm's `nodedir` (Node's own headers): otherwise it downloads them.
nodedir="$(npm config get nodedir 2>/dev/null || true)"
if [[ -n "$nodedir" && "$nodedir" != "undefined" && "$nodedir" != "null" ]]; then
  export npm_config_nodedir="$nodedir"
elif [[ -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi
NODE_GYP_JS="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
node_gyp() {
  if [[ -f "$NODE_GYP_JS" ]]; then node "$NODE_GYP_JS" "$@"; else npx --yes node-gyp "$@"; fi
}
say "4/5 build native modules with node-gyp"
cd "$VSCODE_DIR"
mapfile -t modules < <(find node_modules -name binding.gyp -not -path '*/node_modules/*/node_modules/*' \
  | xargs -n1 dirname | sed 's#^node_modules/##' | sort)
(( ${#modules[@]} )) || die "no native modules found under $VSCODE_DIR/node_modules: the dependency install went wrong"
for m in "${modules[@]}"; do
  say "    node-gyp rebuild: $m"
  log="$(mktemp)"
  if ! (cd "node_modules/$m" && node_gyp rebuild >"$log" 2>&1); then
    tail -n 40 "$log" >&2
    rm -f "$log"
    die "node-gyp rebuild failed for $m (see above)"
  fi
  rm -f "$log"
done

say "5/5 link node_modules.asar -> node_modules"
ln -sfn node_modules node_modules.asar

version="$(node -p 'require("./package.json").version')"
echo "$version" >"$MARKER"
say "done in $((SECONDS - started)) s: VS Code $version at $VSCODE_DIR"
