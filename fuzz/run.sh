#!/usr/bin/env bash
# Run one fuzz target for a while, one process on one core.
#
#   fuzz/run.sh build                   build every target
#   fuzz/run.sh TARGET [SECONDS]        TARGET: dockerfile yaml kubernetes compose nginx systemd
#                                               procfile fly shell pipeline lsp
#
# Builds the targets with cargo-fuzz (a nightly toolchain if one is installed, else stable with
# RUSTC_BOOTSTRAP=1 and no sanitizer; FUZZ_TOOLCHAIN=nightly|stable chooses); a run builds only a target that was never built, so
# rebuild with `fuzz/run.sh build` after changing the code. A run fills fuzz/corpus/TARGET from fuzz/seeds, the
# repository's test fixtures and a sample of ../shared/corpus (when present), then runs
# libFuzzer in this process. The log is fuzz/logs/TARGET.log; crashing inputs land in
# fuzz/artifacts/TARGET/. fuzz/corpus, fuzz/artifacts and fuzz/logs are not committed.
set -euo pipefail
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz_dir")
target=${1:?usage: fuzz/run.sh build | TARGET [SECONDS]}
seconds=${2:-240}
max_len=${MAX_LEN:-16384}
shared_corpus=${SHARED_CORPUS:-$repo/../shared/corpus}

toolchain=${FUZZ_TOOLCHAIN:-}
if [ -z "$toolchain" ]; then
  if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then toolchain=nightly; else toolchain=stable; fi
fi
case $toolchain in
  nightly) build=(cargo +nightly fuzz build) ;;
  stable) build=(env RUSTC_BOOTSTRAP=1 cargo +stable fuzz build --sanitizer none) ;;
  *) echo "FUZZ_TOOLCHAIN must be nightly or stable" >&2; exit 2 ;;
esac
case $target in
  build) cd "$fuzz_dir" && exec "${build[@]}" ;;
  dockerfile | yaml | kubernetes | compose | nginx | systemd | procfile | fly | shell | pipeline | lsp) ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
binary="$fuzz_dir/target/x86_64-unknown-linux-gnu/release/$target"
[ -x "$binary" ] || (cd "$fuzz_dir" && "${build[@]}" "$target")

corpus="$fuzz_dir/corpus/$target"
mkdir -p "$corpus" "$fuzz_dir/artifacts/$target" "$fuzz_dir/logs"

# add FILE [PREFIX_BYTE]: copy a seed under its content hash (small files only).
add() {
  local file=$1 prefix=${2:-}
  [ -f "$file" ] || return 0
  [ "$(stat -c %s "$file")" -le "$max_len" ] || return 0
  local tmp
  tmp=$(mktemp)
  # shellcheck disable=SC2059 # the format is the byte to write, \xNN
  if [ -n "$prefix" ]; then printf "\\x$prefix" >"$tmp"; fi
  cat "$file" >>"$tmp"
  local hash
  hash=$(sha1sum "$tmp" | cut -c1-16)
  mv "$tmp" "$corpus/seed-$hash"
}
# sample DIR N PATTERN...: every k-th matching file under DIR (sorted), at most N files.
sample() {
  local dir=$1 n=$2
  shift 2
  [ -d "$dir" ] || return 0
  local files
  mapfile -t files < <(find "$dir" -type f \( "$@" \) | LC_ALL=C sort)
  local count=${#files[@]}
  [ "$count" -gt 0 ] || return 0
  local step=$(((count + n - 1) / n))
  local i
  for ((i = 0; i < count; i += step)); do printf '%s\n' "${files[i]}"; done
}

dockerfiles() { sample "$repo/testdata" 100 -name 'Dockerfile*' -o -name '*.Dockerfile'; sample "$repo/examples" 50 -name 'Dockerfile*'; }
k8s() { sample "$repo/testdata" 200 -name '*.yaml' ! -name 'compose*' ! -name 'docker-compose*'; sample "$shared_corpus/k8s" 300 -name '*.yaml' -o -name '*.yml'; }
compose() { sample "$repo/testdata" 100 -name 'compose*.y*ml' -o -name 'docker-compose*.y*ml'; sample "$shared_corpus/compose" 100 -name '*.y*ml'; }
nginx() { sample "$repo/testdata" 100 -name '*.conf' -path '*SL20*'; sample "$shared_corpus/nginx" 100 -type f; }
systemd() { sample "$repo/testdata" 100 -name '*.service' -o -name '*.conf' -path '*.service.d/*'; sample "$shared_corpus/systemd" 100 -type f; }
procfiles() { sample "$repo/testdata" 100 -name 'Procfile*'; sample "$shared_corpus/procfile" 100 -type f; }
flys() { sample "$repo/testdata" 100 -name 'fly.toml'; }
scripts() { sample "$repo/testdata" 100 -name '*.sh'; sample "$repo/examples" 50 -name '*.sh'; }

seeds() { find "$fuzz_dir/seeds/$1" -type f 2>/dev/null || true; }
case $target in
  dockerfile) list=$( { seeds dockerfile; dockerfiles; } ) ;;
  yaml) list=$( { seeds yaml; seeds kubernetes; seeds compose; k8s; compose; } ) ;;
  kubernetes) list=$( { seeds kubernetes; seeds yaml; k8s; } ) ;;
  compose) list=$( { seeds compose; compose; } ) ;;
  nginx) list=$( { seeds nginx; nginx; } ) ;;
  systemd) list=$( { seeds systemd; systemd; } ) ;;
  procfile) list=$( { seeds procfile; procfiles; } ) ;;
  fly) list=$( { seeds fly; flys; } ) ;;
  shell) list=$( { seeds shell; scripts; } ) ;;
  pipeline) list="" ;;
  lsp) list=$(seeds lsp) ;;
esac
while IFS= read -r file; do [ -n "$file" ] && add "$file"; done <<<"$list"
if [ "$target" = pipeline ]; then
  # The first byte picks the kind, in the order of shutdownlint_fuzz::KINDS.
  while IFS= read -r f; do [ -n "$f" ] && add "$f" 00; done < <(seeds dockerfile; dockerfiles)
  while IFS= read -r f; do [ -n "$f" ] && add "$f" 01; done < <(seeds kubernetes; k8s | head -150)
  while IFS= read -r f; do [ -n "$f" ] && add "$f" 02; done < <(seeds compose; compose)
  while IFS= read -r f; do [ -n "$f" ] && add "$f" 03; done < <(seeds systemd; systemd)
  while IFS= read -r f; do [ -n "$f" ] && add "$f" 04; done < <(seeds nginx; nginx)
  while IFS= read -r f; do [ -n "$f" ] && add "$f" 05; done < <(seeds procfile; procfiles)
  while IFS= read -r f; do [ -n "$f" ] && add "$f" 06; done < <(seeds fly; flys)
fi

# The words the command analysis looks for (program names, flags, signals, subcommands) are
# the string literals of its source: split them into tokens and add them to the dictionary of
# every target that runs it, so the fuzzer need not guess `--graceful-timeout` byte by byte.
literals() {
  grep -ho '"[^"\\]*"' "$repo"/src/shell/commands.rs "$repo"/src/shell/analysis.rs \
    "$repo"/src/shell/mod.rs "$repo"/src/analysis.rs | tr -d '"' | tr '[:blank:]' '\n' |
    LC_ALL=C grep -E '^[[:print:]]{2,40}$' | LC_ALL=C sort -u | sed 's/.*/"&"/'
}
dict_file="$fuzz_dir/logs/$target.dict"
case $target in
  kubernetes | compose) { cat "$fuzz_dir/dict/yaml.dict"; literals; } >"$dict_file" ;;
  pipeline) { for d in "$fuzz_dir"/dict/*.dict; do [ "${d##*/}" = lsp.dict ] || cat "$d"; done; literals; } >"$dict_file" ;;
  shell | procfile | dockerfile | systemd | fly) { cat "$fuzz_dir/dict/$target.dict"; literals; } >"$dict_file" ;;
  *) cat "$fuzz_dir/dict/$target.dict" >"$dict_file" ;;
esac
dict=(-dict="$dict_file")

echo "$target: $(find "$corpus" -type f | wc -l) inputs in the corpus; running ${seconds}s"
# libFuzzer runs in this process and logs to stderr, so runs of different targets at the same
# time each keep their own log (with -jobs it writes fuzz-N.log in the working directory).
log="$fuzz_dir/logs/$target.log"
set +e
"$binary" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=5 \
  -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
  -artifact_prefix="$fuzz_dir/artifacts/$target/" 2>"$log"
status=$?
set -e
grep -E '^#[0-9]+' "$log" | tail -n 1 || true
grep -E '^stat::|^Done' "$log" || true
exit $status
