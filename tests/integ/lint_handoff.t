#!/bin/sh
# The hand-off helper (common/spool.c) is the only code that renames or
# links a file anywhere: every other stage must go through spool_publish,
# spool_transfer, spool_copy or spool_replace.
. "$MCSPOOL_TOP/tests/lib.sh"
t_plan 2
cd "$MCSPOOL_TOP" || exit 1
calls=$(grep -nE '(^|[^a-z_])(rename|renameat|renameat2|link|linkat|symlink|symlinkat)[[:space:]]*\(' \
	common/*.c fetcher/*.c splitter/*.c mover/*.c reaper/*.c admin/*.c 2>/dev/null |
	grep -v '^common/spool\.c:' | grep -vE ':[[:space:]]*(/?\*|//)' | grep -v '"')
t_is "no rename or link outside common/spool.c" "$calls" ""
n=$(grep -cE '(renameat2|linkat)[[:space:]]*\(' common/spool.c)
t_ok "common/spool.c does the renames and links ($n call sites)" [ "$n" -ge 2 ]
t_done
