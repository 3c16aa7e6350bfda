# Written by the python buildpack: sets WEB_CONCURRENCY at dyno boot (unless already set) from
# the dyno's memory and CPU cores, as Heroku's python buildpack does: the lower of
# `cores * 2 + 1` and `memory in MB / 256`. The memory is $DYNO_RAM when the platform sets it,
# else the cgroup's memory limit (v2 `memory.max`, or v1). Sourced: no exit, no errors.

__python_output() {
  if [[ "${DYNO:-}" == web.* ]]; then echo "Python buildpack: $*" >&2; fi
}

__python_memory_mb() {
  local bytes="" file
  if [[ "${DYNO_RAM:-}" =~ ^[1-9][0-9]{0,6}$ ]]; then echo "$DYNO_RAM"; return 0; fi
  for file in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
    if [[ -r "$file" ]]; then bytes=$(head -c 32 "$file" 2>/dev/null); break; fi
  done
  [[ "$bytes" =~ ^[0-9]{1,19}$ ]] || return 1
  # Above 1 TB means "no limit".
  ((bytes / 1048576 <= 1048576)) || return 1
  echo $((bytes / 1048576))
}

if ! __python_memory_mb >/dev/null; then
  __python_output "Couldn't determine available memory. Skipping automatic configuration of WEB_CONCURRENCY."
elif ! __python_cores=$(nproc 2>/dev/null); then
  __python_output "Couldn't determine number of CPU cores. Skipping automatic configuration of WEB_CONCURRENCY."
else
  __python_memory=$(__python_memory_mb)
  __python_output "Detected ${__python_memory} MB available memory and ${__python_cores} CPU cores."
  export DYNO_RAM="${__python_memory}"
  if [[ -v WEB_CONCURRENCY ]]; then
    __python_output "Skipping automatic configuration of WEB_CONCURRENCY since it's already set."
  else
    export WEB_CONCURRENCY_SET_BY="heroku/python"
    __python_by_memory=$((__python_memory < 256 ? 1 : __python_memory / 256))
    __python_by_cores=$((__python_cores * 2 + 1))
    if ((__python_by_memory < __python_by_cores)); then
      export WEB_CONCURRENCY="${__python_by_memory}"
      __python_output "Defaulting WEB_CONCURRENCY to ${WEB_CONCURRENCY} based on the available memory."
    else
      export WEB_CONCURRENCY="${__python_by_cores}"
      __python_output "Defaulting WEB_CONCURRENCY to ${WEB_CONCURRENCY} based on the number of CPU cores."
    fi
  fi
fi
unset -f __python_output __python_memory_mb
unset __python_cores __python_memory __python_by_memory __python_by_cores
