#!/bin/sh
# Bans calls that have a safer form in this code base (STYLE.md rule 10).
set -u
cd "${srcdir:-.}" || exit 1
echo "1..1"
hits=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|tmpnam|mktemp)[[:space:]]*\(' \
	src/*.c include/*.h tests/unit/*.c 2>/dev/null | grep -v 'checksrc: ok')
if [ -z "$hits" ]; then
	echo "ok 1 - no banned calls (strcpy strcat sprintf gets strtok atoi tmpnam mktemp)"
else
	echo "not ok 1 - banned calls:"
	echo "$hits" | sed 's/^/# /'
	exit 1
fi
