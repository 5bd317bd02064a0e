# tests/fakes/movelib.sh: helpers for the mover and reaper shell tests
# (sourced after tests/lib.sh).
#
#   mv_setup [CONFIG LINES...]   t_setup, then a config with log_source_id 7,
#                                and the given lines (a consumer { } block
#                                among them replaces the default logrhythm one;
#                                @T@ in them stands for $T)
#   mv_gen NAME                  the content of test file NAME (3 records)
#   mv_mta N [PREFIX]            N files in data/mta/, oldest first by mtime
#   mv_agent [ARGS]              one cycle of the fake LogRhythm agent
#   mv_move [ARGS]               mcspool-move --once, stderr to $T/move.err
#   mv_drain MAX                 agent + mover until mta/ and read/ are empty
#   mv_check N [PREFIX]          every file read once, archived once, intact

MV_AGENT="$MCSPOOL_TOP/tests/fakes/lr_agent.py"

mv_setup() {
	# t_setup's clean-up removes the current $T only: finish the previous
	# scenario (its tree, its mounts) before starting the next.
	t_run_cleanups
	t_setup
	consumer="consumer { type = \"logrhythm\" state_dir = \"$T/lrstate\" }"
	extra=""
	for l in "$@"; do
		case $l in
		consumer*) consumer=$l ;;
		*) extra="$extra
$l" ;;
		esac
	done
	cat > "$T/mcspool.conf" <<EOC
data_dir = "$T/data"
read_path = "$T/read"
archive_dir = "$T/archive"
sandbox = "off"
log_source_id = 7
$consumer
$extra
EOC
	sed -i "s|@T@|$T|g" "$T/mcspool.conf"
}

mv_gen() {
	printf 'datetime=2024-01-15T06:58:44+0000|aCode=%s|acc=C0A0|Sender=a@example.com|n=1\n' "$1"
	printf 'datetime=2024-01-15T06:58:45+0000|aCode=%s|acc=C0A0|Sender=b@example.com|n=2\n' "$1"
	printf 'datetime=2024-01-15T06:58:46+0000|aCode=%s|acc=C0A0|Sender=c@example.com|n=3\n' "$1"
}

mv_mta() {
	mkdir -p "$T/data/mta"
	python3 - "$T/data/mta" "$1" "${2:-receipt}" <<'EOP'
import os, sys
d, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = 1700000000
for i in range(n):
    name = "%s_%06d.log" % (prefix, i)
    p = os.path.join(d, name)
    with open(p, "w") as f:
        for k in range(3):
            f.write("datetime=2024-01-15T06:58:4%d+0000|aCode=%s|acc=C0A0|Sender=%s@example.com|n=%d\n"
                    % (4 + k, name, "abc"[k], k + 1))
    os.utime(p, (base + i, base + i))
EOP
}

mv_agent() { python3 "$MV_AGENT" "$T/read" "$T/lrstate" 7 --once --out "$T/siem" "$@"; }

mv_move() { mcspool-move --once "$@" 2>>"$T/move.err"; }

mv_drain() {
	i=0
	while [ "$i" -lt "$1" ]; do
		mv_agent $MV_AGENT_ARGS || return 1
		mv_move || return 1
		if [ -z "$(ls "$T/data/mta")" ] && [ -z "$(ls "$T/read")" ]; then return 0; fi
		i=$((i + 1))
	done
	return 1
}

# mv_check N [PREFIX]: prints what is wrong, if anything.
mv_check() {
	python3 - "$T" "$1" "${2:-receipt}" <<'EOP'
import os, sys, collections
T, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bad = []
want = {}
for i in range(n):
    name = "%s_%06d.log" % (prefix, i)
    want[name] = "".join("datetime=2024-01-15T06:58:4%d+0000|aCode=%s|acc=C0A0|Sender=%s@example.com|n=%d\n"
                         % (4 + k, name, "abc"[k], k + 1) for k in range(3))
seen = collections.Counter()
if os.path.exists(T + "/siem"):
    for line in open(T + "/siem"):
        seen[line] += 1
for name, body in want.items():
    for rec in body.splitlines():
        c = seen[name + "\t" + rec + "\n"]
        if c != 1:
            bad.append("%s: record read %d times" % (name, c))
            break
arch = set(os.listdir(T + "/archive"))
for name, body in want.items():
    if name not in arch:
        bad.append("%s: not in archive" % name)
    elif open(T + "/archive/" + name).read() != body:
        bad.append("%s: archived copy differs" % name)
for extra in arch - set(want):
    bad.append("unexpected file in archive: " + extra)
for d in ("read", "data/mta"):
    left = os.listdir(T + "/" + d)
    if left:
        bad.append("%s not empty: %s" % (d, " ".join(sorted(left)[:5])))
print("\n".join(bad[:20]))
EOP
}
