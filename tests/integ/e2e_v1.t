#!/bin/sh
# The whole pipeline, API 1.0: the emulator -> mcspool-fetch -> mcspool-split ->
# mcspool-move -> the fake LogRhythm agent -> archive_dir -> mcspool-reap.
# Every SIEM record the emulator serves is read by the agent exactly once, byte
# for byte; every audit event of the first window lands in audit/ once; read_path
# never holds more than max_files; retention empties the archive.
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/emu/emu.sh"
AGENT="$MCSPOOL_TOP/tests/fakes/lr_agent.py"
CHECK="$MCSPOOL_TOP/tests/integ/e2e_check.py"

t_setup
emu_start "$T" || t_skip_all "the emulator did not start"
t_at_exit emu_stop
acct() { emu_account v1 main "$1"; }
printf '%s\n' "$(acct secret_key)" > "$T/secret_key"
chmod 600 "$T/secret_key"
cat > "$T/mcspool.conf" <<EOC
data_dir = "$T/data"
read_path = "$T/read"
archive_dir = "$T/archive"
log_source_id = 3
max_files = 4
max_file_bytes = 4096
sandbox = "on"
consumer { type = "logrhythm" state_dir = "$T/lrstate" }
mimecast {
  api = 1
  base_url = "$EMU_URL"
  app_id = "$(acct app_id)"
  app_key = "$(acct app_key)"
  access_key = "$(acct access_key)"
  secret_key_file = "$T/secret_key"
  ca_file = "$EMU_CA"
  compress = true
}
EOC
[ "$MCSPOOL_SAN" = 1 ] && ASAN_OPTIONS=detect_leaks=0 && export ASAN_OPTIONS

t_plan 9
t0=$(date +%s)
most=0
rounds=0
ok_runs=1
# Drive the stages by hand, as an operator recovering would, until nothing moves.
while [ $rounds -lt 80 ]; do
	rounds=$((rounds + 1))
	for s in fetch split move; do
		timeout 120 mcspool-$s --once 2>>"$T/stages.err" || { ok_runs=0; t_diag "mcspool-$s failed"; }
	done
	n=$(ls "$T/read" | wc -l)
	[ "$n" -gt "$most" ] && most=$n
	python3 "$AGENT" --once --out "$T/agent.out" "$T/read" "$T/lrstate" 3 || ok_runs=0
	if [ -z "$(ls -A "$T/data/raw" "$T/data/mta" "$T/read" 2>/dev/null | grep -v ':$' | grep -v '^$')" ] &&
	   [ "$(ls "$T/archive" | wc -l)" -gt 0 ]; then
		break
	fi
done
t_is "every stage run exited 0" "$ok_runs" 1
t_diag "quiescent after $rounds rounds"
t_ok "read_path never held more than max_files ($most)" [ "$most" -le 4 ]
t_is "raw/, mta/ and read_path drained" "$(ls -A "$T/data/raw" "$T/data/mta" "$T/read" | grep -v ':$' | grep -v '^$' | wc -l)" 0
emu_ctl GET "/_emu/siem/queue?compress=true&fileFormat=key_value" > "$T/queue.json"
t_ok "every SIEM record reached the reader exactly once, byte for byte" \
	python3 "$CHECK" siem "$T/agent.out" "$T/queue.json" "$MCSPOOL_SAMPLES"
emu_ctl GET /_emu/audit/events > "$T/events.json"
t_ok "every audit event of the first window is in audit/ exactly once" \
	python3 "$CHECK" audit "$T/data/audit" "$T/events.json" "$t0" 120
t_is "nothing quarantined" "$(ls "$T/data/bad" | wc -l)" 0
t_is "no warnings or errors from any stage" "$(grep -c ': \(warning\|error\|fatal\): ' "$T/stages.err")" 0
grep ': \(warning\|error\|fatal\): ' "$T/stages.err" | head -5 | sed 's/^/# /'

# Retention: eight days later the archive goes, and nothing else.
find "$T/archive" "$T/data/audit" -type f -exec touch -d '8 days ago' {} +
mcspool-reap --once 2>>"$T/stages.err"
t_is "reaper: archive_dir emptied after retention_days" "$(ls "$T/archive" | wc -l)" 0
t_is "reaper: old audit files removed too" "$(ls "$T/data/audit" | wc -l)" 0
t_done
