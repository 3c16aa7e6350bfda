# Written by the nodejs buildpack: sets WEB_CONCURRENCY at dyno boot (unless already set) as
# Heroku's nodejs buildpack does: the memory available (MEMORY_AVAILABLE, else $DYNO_RAM, else the
# cgroup's limit, else 512 MB; at most 129024) divided by WEB_MEMORY (512 MB a process, 2048 above
# 16 GB), at least 1. LOG_CONCURRENCY=true prints the numbers. Sourced: no exit, no errors.

__nodejs_memory_mb() {
  local bytes="" file
  if [[ "${DYNO_RAM:-}" =~ ^[1-9][0-9]{0,6}$ ]]; then echo "$DYNO_RAM"; return 0; fi
  for file in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
    if [[ -r "$file" ]]; then bytes=$(head -c 32 "$file" 2>/dev/null); break; fi
  done
  if [[ "$bytes" =~ ^[0-9]{1,19}$ ]] && ((bytes / 1048576 <= 1048576 && bytes >= 1048576)); then
    echo $((bytes / 1048576))
  else
    echo 512
  fi
}

if ! [[ "${MEMORY_AVAILABLE:-}" =~ ^[1-9][0-9]{0,6}$ ]]; then
  MEMORY_AVAILABLE=$(__nodejs_memory_mb)
  ((MEMORY_AVAILABLE > 129024)) && MEMORY_AVAILABLE=129024
fi
export MEMORY_AVAILABLE
if ! [[ "${WEB_MEMORY:-}" =~ ^[1-9][0-9]{0,6}$ ]]; then
  if ((MEMORY_AVAILABLE > 16384)); then WEB_MEMORY=2048; else WEB_MEMORY=512; fi
fi
export WEB_MEMORY
if [[ -z "${WEB_CONCURRENCY:-}" ]]; then
  WEB_CONCURRENCY=$((MEMORY_AVAILABLE / WEB_MEMORY))
  if ((WEB_CONCURRENCY < 1)); then
    WEB_CONCURRENCY=1
  elif ((WEB_CONCURRENCY > 200)); then
    WEB_CONCURRENCY=1
    echo "Could not determine a reasonable value for WEB_CONCURRENCY.
WEB_CONCURRENCY has been set to 1. Please review whether this value is
appropriate for your application." >&2
  fi
  export WEB_CONCURRENCY WEB_CONCURRENCY_SET_BY="heroku/nodejs"
fi
if [[ "${LOG_CONCURRENCY:-}" == "true" ]]; then
  echo "Detected $MEMORY_AVAILABLE MB available memory, $WEB_MEMORY MB limit per process (WEB_MEMORY)"
  echo "Recommending WEB_CONCURRENCY=$WEB_CONCURRENCY"
fi
unset -f __nodejs_memory_mb
