#!/usr/bin/env bash
# The steps of the shutdownlint GitHub Action (action.yml), one subcommand each:
#
#   action.sh prepare   cache key and paths for actions/cache (step outputs)
#   action.sh install   build shutdownlint from the action's own checkout, or use INPUT_BINARY
#   action.sh run       lint, write SARIF when asked, exit with shutdownlint's status
#
# Every input arrives as an environment variable (INPUT_*): action.yml never interpolates an
# input into a script. Values are passed to commands as single arguments and never evaluated.
# Documentation: docs/integrations.md.
#
# Environment read (besides the INPUT_* variables listed at each subcommand):
#   GITHUB_ACTION_PATH      the action's checkout (prepare, install)
#   GITHUB_WORKSPACE        the repository to lint (run; default: the current directory)
#   GITHUB_OUTPUT           step outputs are appended here (skipped when unset)
#   GITHUB_PATH             install adds the binary's folder here (skipped when unset)
#   RUNNER_OS, RUNNER_ARCH  part of the cache key (default: uname)
#   RUNNER_TEMP             scratch files (default: mktemp's folder)
#   SHUTDOWNLINT_ACTION_HOME  where the build and its cache live
#                           (default: ~/.cache/shutdownlint-action)
set -euo pipefail

# --- helpers ---------------------------------------------------------------------------------

# Escape text for the data part of a workflow command (%, CR, LF), as GitHub's toolkit does.
escape_data() {
  local s="$1"
  s="${s//'%'/%25}"
  s="${s//$'\r'/%0D}"
  s="${s//$'\n'/%0A}"
  printf '%s' "$s"
}

# A usage or setup problem: an error annotation, then exit status 2 (as the CLI's own usage
# errors), so a workflow can tell "findings" (1) from "the lint did not run" (2). The run step
# also sets its exit-code output to 2.
fail() {
  printf '::error title=shutdownlint action::%s\n' "$(escape_data "$*")"
  if [ "$STEP" = run ]; then
    set_output exit-code 2
  fi
  exit 2
}

# Print a line of the action's own log that may hold an input (a path): escaped like a workflow
# command's data, so it stays one line and can never start a command.
say() {
  printf '%s\n' "$(escape_data "$*")"
}

random_token() {
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# Append a step output. The multi-line form with a random delimiter is used for every value,
# so no value (a path with a newline in it) can end the block early and set other outputs.
set_output() {
  local name="$1" value="$2" delimiter
  [ -n "${GITHUB_OUTPUT:-}" ] || return 0
  delimiter="shutdownlint_$(random_token)"
  case "$value" in
    *"$delimiter"*) fail "output $name contains its delimiter" ;;
  esac
  printf '%s<<%s\n%s\n%s\n' "$name" "$delimiter" "$value" "$delimiter" >>"$GITHUB_OUTPUT"
}

# Print text that comes from the scanned repository (file names, snippets, messages) with
# workflow commands switched off, so a line in it can never act as `::set-env::` or an
# annotation. Only `--format github` output is printed as commands, and shutdownlint escapes it.
print_untrusted() {
  local file="$1" token
  [ -s "$file" ] || return 0
  token="$(random_token)"
  printf '::stop-commands::%s\n' "$token"
  cat -- "$file"
  # The closing command must start a line even when the text does not end with a newline.
  [ -z "$(tail -c 1 -- "$file")" ] || printf '\n'
  printf '::%s::\n' "$token"
}

action_home() {
  printf '%s' "${SHUTDOWNLINT_ACTION_HOME:-$HOME/.cache/shutdownlint-action}"
}

sha256_stdin() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -d ' ' -f 1
  else
    shasum -a 256 | cut -d ' ' -f 1
  fi
}

# A hash of everything the build reads: the manifest, the lock file, the sources and the rule
# pages (embedded with include_str!). Names and contents both count.
source_hash() {
  local root="$1"
  (
    cd -- "$root"
    find Cargo.toml Cargo.lock src rules -type f -print0 | LC_ALL=C sort -z |
      while IFS= read -r -d '' file; do
        printf '%s\0' "$file"
        sha256_stdin <"$file"
      done
  ) | sha256_stdin
}

# --- prepare ---------------------------------------------------------------------------------
# Outputs: cache-key, restore-key (the key without the source hash), cache-paths (one a line).
# The key is computed here because hashFiles() cannot read files outside the workspace, where
# the action's checkout lives.
prepare() {
  local action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
  [ -f "$action_path/Cargo.lock" ] || fail "no Cargo.lock in the action's checkout ($action_path)"
  local os="${RUNNER_OS:-$(uname -s)}" arch="${RUNNER_ARCH:-$(uname -m)}" lock_hash source
  lock_hash="$(sha256_stdin <"$action_path/Cargo.lock")"
  source="$(source_hash "$action_path")"
  local prefix="shutdownlint-action-v1-$os-$arch-${lock_hash:0:16}-"
  set_output cache-key "$prefix${source:0:16}"
  set_output restore-key "$prefix"
  set_output cache-paths "$(printf '%s\n' \
    "$HOME/.cargo/registry/index" "$HOME/.cargo/registry/cache" "$(action_home)")"
  say "cache key: $prefix${source:0:16}"
}

# --- install ---------------------------------------------------------------------------------
# Input: INPUT_BINARY (a shutdownlint binary to use instead of building one; a bare name is
# looked up on PATH). Output: binary (the path of the binary the run step uses).
install() {
  local binary="${INPUT_BINARY:-}"
  if [ -n "$binary" ]; then
    case "$binary" in
      */*) ;;
      *) binary="$(command -v -- "$binary")" || fail "binary: \`${INPUT_BINARY}\` is not on PATH" ;;
    esac
    if ! [ -f "$binary" ] || ! [ -x "$binary" ]; then
      fail "binary: \`$binary\` is not an executable file"
    fi
    say "using $binary"
    "$binary" --version
    set_output binary "$binary"
    return 0
  fi
  local action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}" home hash
  home="$(action_home)"
  hash="$(source_hash "$action_path")"
  local built="$home/bin/shutdownlint"
  if [ -x "$built" ] && [ "$(cat -- "$home/source-hash" 2>/dev/null || true)" = "$hash" ]; then
    printf 'shutdownlint is already built from this source (%s)\n' "${hash:0:16}"
  else
    command -v cargo >/dev/null 2>&1 ||
      fail "cargo not found: install a Rust toolchain before this step (for example dtolnay/rust-toolchain@stable), or set the \`binary\` input"
    mkdir -p -- "$home"
    # --force: an earlier build from another checkout of the action (another version) counts
    # as another package to cargo. The target folder is kept (and cached), so a rebuild
    # compiles only what changed.
    CARGO_TARGET_DIR="$home/target" cargo install --locked --force \
      --path "$action_path" --root "$home"
    printf '%s\n' "$hash" >"$home/source-hash"
  fi
  "$built" --version
  set_output binary "$built"
  if [ -n "${GITHUB_PATH:-}" ]; then
    printf '%s\n' "$home/bin" >>"$GITHUB_PATH"
  fi
}

# --- run -------------------------------------------------------------------------------------

# Turn the diff-base input into the revision for `--diff`, in DIFF_REVISION. A name that is a
# branch of `origin` (what github.base_ref holds: `main`, `release/1.2`) becomes
# `origin/<name>`, fetched when the checkout does not have it; anything else that names a commit
# (a SHA, a tag, `origin/main`, `HEAD~3`) is used as it is.
DIFF_REVISION=
resolve_diff_base() {
  local base="$1"
  case "$base" in
    -*) fail "diff-base: \`$base\` is not a revision (it starts with '-')" ;;
    *[[:space:][:cntrl:]]*) fail "diff-base: \`$base\` is not a revision (it has a space or control character)" ;;
  esac
  if git rev-parse --verify --quiet "refs/remotes/origin/$base^{commit}" >/dev/null; then
    DIFF_REVISION="origin/$base"
  elif git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
    DIFF_REVISION="$base"
  elif git check-ref-format --branch "$base" >/dev/null 2>&1 &&
    git fetch --no-tags --quiet origin "+refs/heads/$base:refs/remotes/origin/$base"; then
    DIFF_REVISION="origin/$base"
  else
    fail "diff-base: \`$base\` is neither a branch of origin nor a commit in this checkout"
  fi
}

# Inputs: INPUT_PATH (paths, one a line; default .), INPUT_CONFIG, INPUT_FAIL_ON,
# INPUT_FORMAT (default github), INPUT_SARIF_FILE, INPUT_DIFF_BASE, SHUTDOWNLINT_BIN (the
# install step's output; default: shutdownlint on PATH).
# Outputs: exit-code, sarif-file (absolute path, when written).
run() {
  local workspace="${GITHUB_WORKSPACE:-$PWD}"
  cd -- "$workspace" || fail "GITHUB_WORKSPACE \`$workspace\` is not a folder"
  local bin="${SHUTDOWNLINT_BIN:-shutdownlint}"
  command -v -- "$bin" >/dev/null 2>&1 || fail "shutdownlint binary \`$bin\` not found"

  local format="${INPUT_FORMAT:-github}"
  case "$format" in
    github | human | json | sarif) ;;
    *) fail "format: \`$format\` is not one of github, human, json, sarif" ;;
  esac
  local fail_on="${INPUT_FAIL_ON:-}"
  case "$fail_on" in
    "" | error | warning | info) ;;
    *) fail "fail-on: \`$fail_on\` is not one of error, warning, info" ;;
  esac

  local -a paths=() options=()
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    [ -n "$line" ] && paths+=("$line")
  done <<<"${INPUT_PATH:-}"
  [ "${#paths[@]}" -gt 0 ] || paths=(.)

  [ -z "$fail_on" ] || options+=("--fail-on=$fail_on")
  [ -z "${INPUT_CONFIG:-}" ] || options+=("--config=$INPUT_CONFIG")
  # Change mode only when diff-base says so: without it the CLI must not pick up the base
  # branch from GITHUB_BASE_REF by itself, so that variable is removed for its run.
  local -a environment=(env -u GITHUB_BASE_REF)
  if [ -n "${INPUT_DIFF_BASE:-}" ]; then
    resolve_diff_base "$INPUT_DIFF_BASE"
    local revision="$DIFF_REVISION"
    if [ "$(git rev-parse --is-shallow-repository 2>/dev/null || true)" = true ]; then
      printf '::notice title=shutdownlint action::%s\n' "$(escape_data "the checkout is shallow: if the merge base of $revision and HEAD is missing, check out with fetch-depth: 0")"
    fi
    say "change mode: --diff $revision"
    options+=("--diff=$revision")
  fi

  local scratch
  scratch="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/shutdownlint.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: the folder is local to this function
  trap "rm -rf -- '$scratch'" EXIT

  local sarif_file="${INPUT_SARIF_FILE:-}" sarif_status=0 status=0
  if [ -n "$sarif_file" ]; then
    case "$sarif_file" in
      /*) ;;
      *) sarif_file="$workspace/$sarif_file" ;;
    esac
    mkdir -p -- "$(dirname -- "$sarif_file")"
    "${environment[@]}" "$bin" --format=sarif ${options[@]+"${options[@]}"} -- "${paths[@]}" \
      >"$sarif_file" 2>"$scratch/sarif.err" || sarif_status=$?
    print_untrusted "$scratch/sarif.err"
    if [ "$sarif_status" -gt 1 ]; then
      fail "shutdownlint did not run (exit status $sarif_status); see the messages above"
    fi
    say "SARIF written to $sarif_file"
    set_output sarif-file "$sarif_file"
  fi

  if [ "$format" = sarif ] && [ -n "$sarif_file" ]; then
    status="$sarif_status"
  else
    "${environment[@]}" "$bin" --format="$format" ${options[@]+"${options[@]}"} -- "${paths[@]}" \
      >"$scratch/out" 2>"$scratch/err" || status=$?
    if [ "$format" = github ]; then
      cat -- "$scratch/out"
    else
      print_untrusted "$scratch/out"
    fi
    print_untrusted "$scratch/err"
    # Both runs lint the same files; should they ever disagree, the worse status wins.
    [ "$sarif_status" -le "$status" ] || status="$sarif_status"
  fi

  set_output exit-code "$status"
  case "$status" in
    0) printf 'shutdownlint: no findings at or above fail-on\n' ;;
    1) printf 'shutdownlint: findings at or above fail-on (exit status 1)\n' ;;
    *) fail "shutdownlint did not run (exit status $status); see the messages above" ;;
  esac
  return "$status"
}

STEP=
main() {
  STEP="${1:-}"
  case "$STEP" in
    prepare) prepare ;;
    install) install ;;
    run) run ;;
    *)
      printf 'usage: %s prepare|install|run\n' "$0" >&2
      exit 2
      ;;
  esac
}

main "$@"
