#!/bin/sh
# The hand-off's system calls, traced: fsync(file) -> rename/link -> fsync(directory).
# kill -9 cannot catch a missing fsync; this check can.
. "$MCSPOOL_TOP/tests/lib.sh"
command -v strace >/dev/null 2>&1 || t_skip_all "strace not installed"
H=$MCSPOOL_BUILD/tests/helpers/handoff
t_setup
mkdir -p "$T/s/tmp" "$T/s/dst" "$T/s/src" "$T/s/stage"
calls=openat,fsync,fdatasync,rename,renameat,renameat2,link,linkat,unlink,unlinkat

# order TRACE FILE_PATH DIR_PATH: prints the line numbers of the file's fsync, the
# rename or link of its name, and the directory's fsync after it.
order() {
	awk -v f="$2" -v d="$3" '
		index($0, "fsync(") && index($0, "<" f ">") && !sf { sf = NR }
		(/^[0-9]* *(rename|renameat2?|linkat?)\(/ || /^(rename|renameat2?|linkat?)\(/) && index($0, d) && !rn { rn = NR }
		rn && index($0, "fsync(") && index($0, "<" d ">") && !sd { sd = NR }
		END { printf "%d %d %d\n", sf, rn, sd }' "$1"
}
in_order() { set -- $1; [ "$1" -gt 0 ] && [ "$2" -gt "$1" ] && [ "$3" -gt "$2" ]; }

t_plan 8
echo hello | strace -y -e trace=$calls -o "$T/publish.trace" "$H" publish "$T/s/tmp" "$T/s/dst" a.log
o=$(order "$T/publish.trace" "$T/s/tmp/a.log" "$T/s/dst")
if in_order "$o"; then t_pass "publish: fsync(file) < rename < fsync(dir) ($o)"; else
	t_fail "publish: fsync(file) < rename < fsync(dir) ($o)"; sed 's/^/# /' "$T/publish.trace"; fi

echo data > "$T/s/src/b.log"
strace -y -e trace=$calls -o "$T/copy.trace" "$H" copy "$T/s/src" "$T/s/stage" "$T/s/dst" b.log
o=$(order "$T/copy.trace" "$T/s/stage/b.log" "$T/s/dst")
if in_order "$o"; then t_pass "copy: fsync(copy) < rename < fsync(dir) ($o)"; else
	t_fail "copy: fsync(copy) < rename < fsync(dir) ($o)"; sed 's/^/# /' "$T/copy.trace"; fi

echo v1 | strace -y -e trace=$calls -o "$T/replace.trace" "$H" replace "$T/s/dst" state
o=$(order "$T/replace.trace" "$T/s/dst/.state.new" "$T/s/dst")
if in_order "$o"; then t_pass "state replace: fsync(file) < rename < fsync(dir) ($o)"; else
	t_fail "state replace: fsync(file) < rename < fsync(dir) ($o)"; sed 's/^/# /' "$T/replace.trace"; fi
# Deferred syncs: every rename of the pass before one fsync of each directory,
# and the input's removal only after the destination's fsync.
mkdir -p "$T/b/src" "$T/b/dst" "$T/b/in"
for f in p1 p2 p3; do echo "$f" >"$T/b/src/$f"; done
echo input >"$T/b/in/input"
strace -y -e trace=$calls -o "$T/batch.trace" "$H" batch "$T/b/src" "$T/b/dst" "$T/b/in" input p1 p2 p3 >"$T/batch.out"
t_is "a removal queued with spool_remove_later waits for spool_sync" "$(cat "$T/batch.out")" queued
t_ok "and is done by it" test ! -e "$T/b/in/input"
got=$(awk -v s="$T/b/src" -v d="$T/b/dst" -v i="$T/b/in" '
	/^renameat2?\(/ { rn++; last_rn = NR }
	index($0, "fsync(") && index($0, "<" d ">") { fd++; if (!first_fd) first_fd = NR }
	index($0, "fsync(") && index($0, "<" s ">") { fs++ }
	index($0, "fsync(") && index($0, "<" i ">") { fi++; fi_at = NR }
	/^unlinkat?\(/ && index($0, "input") { ul = NR }
	END { printf "%d renames, fsync dst %d src %d in %d; order %s\n", rn, fd, fs, fi,
		(last_rn < first_fd && first_fd < ul && ul < fi_at) ? "ok" : "wrong" }' "$T/batch.trace")
t_is "deferred: 3 renames, one fsync per directory" "${got%%;*}" "3 renames, fsync dst 1 src 1 in 1"
if [ "${got##*order }" = ok ]; then t_pass "deferred: renames < fsync(dst) < unlink(input) < fsync(input dir)"; else
	t_fail "deferred: renames < fsync(dst) < unlink(input) < fsync(input dir) ($got)"; sed 's/^/# /' "$T/batch.trace"; fi
# A deferred fsync that fails: nothing queued is removed, now or at spool_sync,
# and both report it (a lost write back is reported once; not retried).
mkdir -p "$T/f/src" "$T/f/dst" "$T/f/in"
echo p >"$T/f/src/p"
i=0
while [ "$i" -le 64 ]; do : >"$T/f/in/in.$i"; i=$((i + 1)); done
t_is "a failed deferred fsync: the removals are dropped, the error reported" \
	"$("$H" batchfail "$T/f/src" "$T/f/dst" "$T/f/in" p 2>&1)" "65th failed, sync failed, 65 left"
t_done
