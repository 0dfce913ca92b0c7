#!/bin/bash
# corpus.sh: assemble the demo model's training corpus, a deterministic
# ~30 MB mix of five groups of text (DNA/RNA/protein, code, English prose,
# other scripts, structured data) taken from Debian packages.
#
#   model/corpus.sh [--tiny] [WORKDIR]      (default WORKDIR: model/work)
#
# Full mode downloads the packages named below with `apt-get download`
# (run `apt-get update` first if the lists are stale), unpacks them with
# `dpkg -x` under WORKDIR/x, and cuts their files into documents of at most
# 64 KiB on line boundaries, keeping valid UTF-8 only and no control
# characters but tab and newline. --tiny uses only files present on any
# Debian machine (licences, a few man pages and headers, generated DNA),
# for the test suite.
#
# Output in WORKDIR: train.txt and heldout.txt (documents concatenated),
# manifest.tsv (doc, group, package, path, split, offset, bytes, version,
# sha256; offset into the split's file, version of the package, "-" in
# --tiny, and the SHA-256 of the document's bytes) and packages.tsv
# (package, version, SHA-256 of the .deb). model/corpus-versions.tsv pins
# the version of every package (`apt-get download pkg=version`); a pin
# the archive no longer has is reported and the candidate taken.
# (c++-annotations-latex was dropped: its LaTeX ships as *.latex.gz, which
# the '.tex' pattern never matched, so it always gave 0 bytes.) A document is held out when the cksum of its
# name "package:path" is 0 mod 10 (mod 5 in --tiny), so the split is
# deterministic.
set -eu
export LC_ALL=C.UTF-8

TINY=0
if [ "${1:-}" = "--tiny" ]; then
	TINY=1
	shift
fi
W=${1:-model/work}
mkdir -p "$W"
W=$(cd "$W" && pwd)
DOCS=$W/docs
TMP=$W/tmp
rm -rf "$DOCS" "$TMP"
mkdir -p "$DOCS" "$TMP"
: >"$W/docs.tsv"
yes featscope-corpus | head -c 65536 >"$TMP/seed"
NDOC=0
PIECE=65536
HOLD=10

say() { [ -t 2 ] && printf '%s\n' "$*" >&2 || printf '%s\n' "$*" >&2; }

# Byte budgets per group (full mode) and their running totals.
declare -A CAP=([dna]=5000000 [code]=9000000 [prose]=7000000
	[scripts]=5500000 [structured]=4000000)
declare -A GOT=([dna]=0 [code]=0 [prose]=0 [scripts]=0 [structured]=0)
if [ $TINY = 1 ]; then
	CAP=([dna]=120000 [code]=200000 [prose]=200000 [scripts]=40000
		[structured]=80000)
	PIECE=16384
	HOLD=5
fi

# add GROUP PKG PATH MAXBYTES < text: clean stdin and add it as one or
# more documents; sets ADDED to the bytes added. (Runs in this shell, not
# a subshell, so the counters persist: never call it inside $(...).)
add() {
	local group=$1 pkg=$2 path=$3 max=$4 n k
	iconv -c -f UTF-8 -t UTF-8 | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' |
		tr -d '\000-\010\013\014\016-\037\177' | head -c "$max" >"$TMP/cur" || true
	# drop a partial last line left by the byte cut
	if [ -s "$TMP/cur" ] && [ "$(tail -c 1 "$TMP/cur" | od -An -c | tr -d ' ')" != '\n' ]; then
		sed -i '$d' "$TMP/cur"
	fi
	local room=$((CAP[$group] - GOT[$group]))
	ADDED=0
	if [ "$room" -le 0 ] || [ ! -s "$TMP/cur" ]; then
		return
	fi
	rm -f "$TMP"/piece.*
	split -C "$PIECE" -d -a 4 "$TMP/cur" "$TMP/piece."
	local total=0
	k=0
	for p in "$TMP"/piece.*; do
		n=$(wc -c <"$p")
		# skip pieces with almost no text
		if [ "$n" -lt 200 ]; then
			continue
		fi
		if [ $((GOT[$group] + n)) -gt "${CAP[$group]}" ]; then
			break
		fi
		NDOC=$((NDOC + 1))
		mv "$p" "$DOCS/$NDOC"
		printf '%s\t%s\t%s\t%s#%d\t%d\n' "$NDOC" "$group" "$pkg" "$path" "$k" "$n" >>"$W/docs.tsv"
		GOT[$group]=$((GOT[$group] + n))
		total=$((total + n))
		k=$((k + 1))
	done
	ADDED=$total
}

# Files of a package matching find(1) -name patterns, in a fixed
# pseudo-random order (so a byte cap samples across the package).
files() {
	local dir=$1
	shift
	local expr=() first=1
	for p in "$@"; do
		[ $first = 1 ] || expr+=(-o)
		expr+=(-path "*$p")
		first=0
	done
	find "$dir" -type f \( "${expr[@]}" \) | sort | sort -R --random-source="$TMP/seed"
}

# unpack a file to stdout (gzip, xz, dictd .dz, zst, or plain)
cat_any() {
	case $1 in
	*.gz | *.dz) gzip -dc "$1" ;;
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -dc "$1" 2>/dev/null || true ;;
	*) cat "$1" ;;
	esac
}

# Convert by kind: html/xml markup stripped, man pages rendered.
strip_html() {
	sed -e 's/<[^>]*>//g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' \
		-e 's/&nbsp;/ /g' -e 's/&#39;/'"'"'/g' -e 's/&amp;/\&/g' |
		sed -e 's/^[[:space:]]*//' | grep -v '^$' || true
}
render_man() {
	groff -k -t -mandoc -Tutf8 -P-cbou 2>/dev/null | cat -s || true
}

# take GROUP PKG FILECAP SRCCAP FILTER PATTERN...: add files of package
# PKG (unpacked under $X/PKG) through FILTER (cat, html, man, or
# script:REGEX to keep only files with that PCRE, e.g. a script's
# characters), at most FILECAP bytes per file and SRCCAP per package.
take() {
	local dir=$X/$2
	if [ ! -d "$dir" ]; then
		say "corpus: $2: not unpacked, skipped"
		return
	fi
	take_list "$dir" "$1" "$2" "$3" "$4" "$5" < <(files "$dir" "${@:6}")
}

# take_list DIR GROUP PKG FILECAP SRCCAP FILTER < file list: as take, for
# the files named on stdin (paths recorded relative to DIR).
take_list() {
	local dir=$1 group=$2 pkg=$3 filecap=$4 srccap=$5 filter=$6
	local got=0 f rel
	while IFS= read -r f; do
		[ "$got" -lt "$srccap" ] || break
		[ "${GOT[$group]}" -lt "${CAP[$group]}" ] || break
		rel=${f#"$dir"}
		local cap=$filecap
		[ $((srccap - got)) -lt "$cap" ] && cap=$((srccap - got))
		case $filter in
		cat) cat_any "$f" >"$TMP/conv" ;;
		html | script:*) cat_any "$f" | strip_html >"$TMP/conv" ;;
		man | manscript:*) cat_any "$f" | render_man >"$TMP/conv" ;;
		esac
		ADDED=0
		case $filter in
		*script:*)
			if grep -qP "${filter#*script:}" "$TMP/conv" 2>/dev/null; then
				add "$group" "$pkg" "$rel" "$cap" <"$TMP/conv"
			fi
			;;
		*) add "$group" "$pkg" "$rel" "$cap" <"$TMP/conv" ;;
		esac
		got=$((got + ADDED))
	done
	say "corpus: $group $pkg: $got bytes"
}

# take_cmd GROUP PKG PATHLABEL CAP COMMAND...: add a command's output.
take_cmd() {
	local group=$1 pkg=$2 label=$3 cap=$4
	shift 4
	"$@" >"$TMP/conv" 2>/dev/null || true
	add "$group" "$pkg" "$label" "$cap" <"$TMP/conv"
	say "corpus: $group $pkg $label: $ADDED bytes"
}

# Deterministic DNA: a linear congruential generator over ACGT, FASTA.
gen_dna() {
	awk -v n="$1" 'BEGIN { s = 12345; b = "ACGT";
		for (r = 0; r < n; r++) {
			printf(">seq%d generated\n", r);
			for (l = 0; l < 4; l++) { line = "";
				for (i = 0; i < 60; i++) { s = (s * 1103515245 + 12345) % 2147483648;
					line = line substr(b, int(s / 65536) % 4 + 1, 1) }
				print line } } }'
}

PKGS="bowtie2-examples vsearch-examples microbiomeutil-data any2fasta-examples
mmseqs2-examples biosyntax-example libstb-dev linux-libc-dev libcurl4-doc
nlohmann-json3-dev libpython3.11-stdlib perl-modules-5.36 bash-completion
devscripts slib cl-alexandria cl-ppcre elpa-dash node-lodash node-acorn
node-yargs node-commander librust-regex-dev librust-clap-dev librust-serde-dev
golang-github-spf13-cobra-dev golang-github-gorilla-mux-dev ruby-rack
lua-penlight manpages manpages-dev bible-kjv
bible-kjv-text jargon-text fortunes fortunes-min debian-policy
libreoffice-help-ko gnome-user-docs debian-faq-ko fortunes-zh
debian-reference-zh-cn manpages-zh manpages-ja debian-reference-ja
firefox-esr-l10n-ar firefox-esr-l10n-he fortunes-ru manpages-ru manpages-el
dict-freedict-ara-eng hunspell-ar hunspell-he iso-codes shared-mime-info
unicode-data ncbi-data tzdata distro-info-data ca-certificates publicsuffix
pari-doc"

if [ $TINY = 1 ]; then
	X=/
	take_cmd dna generated dna.fa 100000 gen_dna 300
	take_list / prose base-files 20000 150000 cat < <(ls /usr/share/common-licenses/* | sort)
	for p in ls cp sh; do
		f=$(ls /usr/share/man/man1/$p.1* 2>/dev/null | head -1 || true)
		if [ -n "$f" ] && command -v groff >/dev/null; then
			take_cmd prose man-db "$f" 30000 sh -c "gzip -dcf '$f' | groff -k -t -mandoc -Tutf8 -P-cbou"
		fi
	done
	take_list / code libc6-dev 12000 200000 cat < <(ls /usr/include/*.h | sort)
	take_cmd structured coreutils "od /bin/ls" 40000 sh -c 'head -c 4000 /bin/ls | od -A x -t x1z -v'
	take_cmd structured coreutils "base64 /bin/ls" 20000 sh -c 'head -c 12000 /bin/ls | base64'
	take_cmd scripts generated greek.txt 20000 printf 'Αλφα βήτα γάμμα δέλτα έψιλον ζήτα ήτα θήτα\nΚαλημέρα κόσμε, τι κάνεις;\n%.0s' $(seq 1 200)
else
	X=$W/x
	mkdir -p "$W/debs" "$X"
	# Pinned versions (model/corpus-versions.tsv: package, version): fetch
	# exactly those; when one is no longer in the archive, take the
	# candidate and say what differs. Every fetched version goes to
	# WORKDIR/packages.tsv (package, version, sha256 of the .deb).
	PIN=$(dirname "$0")/corpus-versions.tsv
	(
		cd "$W/debs"
		for p in $PKGS; do
			want=
			[ -s "$PIN" ] && want=$(awk -F'\t' -v p="$p" '$1 == p { print $2 }' "$PIN")
			have=
			for d in "${p}"_*.deb; do
				[ -e "$d" ] || continue
				v=$(dpkg-deb -f "$d" Version)
				if [ -z "$want" ] || [ "$v" = "$want" ]; then
					have=$v
				else
					rm -f "$d"
				fi
			done
			[ -n "$have" ] && continue
			if [ -n "$want" ]; then
				apt-get download -q "$p=$want" >/dev/null 2>&1 && continue
				say "corpus: $p: pinned version $want is not available; taking the candidate"
			fi
			apt-get download -q "$p" >/dev/null 2>&1 ||
				say "corpus: apt-get download $p failed"
		done
	)
	: >"$W/packages.tsv.tmp"
	for d in "$W"/debs/*.deb; do
		p=$(dpkg-deb -f "$d" Package)
		v=$(dpkg-deb -f "$d" Version)
		printf '%s\t%s\t%s\n' "$p" "$v" "$(sha256sum <"$d" | cut -d' ' -f1)" >>"$W/packages.tsv.tmp"
		if [ -s "$PIN" ]; then
			want=$(awk -F'\t' -v p="$p" '$1 == p { print $2 }' "$PIN")
			[ -z "$want" ] || [ "$want" = "$v" ] ||
				say "corpus: $p: version $v differs from the pinned $want (corpus will differ)"
		fi
	done
	mv "$W/packages.tsv.tmp" "$W/packages.tsv"
	for d in "$W"/debs/*.deb; do
		p=$(basename "$d" | sed 's/_.*//')
		[ -d "$X/$p" ] || dpkg -x "$d" "$X/$p"
	done
	say "corpus: packages unpacked in $X"

	# DNA / RNA / protein
	take dna bowtie2-examples 400000 1100000 cat lambda_virus.fa.gz reads_1.fq.gz longreads.fq.gz human_reads.fa
	take dna vsearch-examples 900000 900000 cat BioMarKs50k.fsa.gz
	take dna microbiomeutil-data 700000 700000 cat rRNA16S.gold.fasta
	take dna any2fasta-examples 400000 500000 cat test.gbk.gz test.gff.gz test.fq.gz
	take dna mmseqs2-examples 900000 900000 cat DB.fasta.gz
	take dna biosyntax-example 150000 900000 cat .vcf.gz .sam.gz .pdb.gz .gtf.gz .fq.gz

	# code
	take code libstb-dev 40000 600000 cat .h
	take code linux-libc-dev 30000 700000 cat .h
	take code libcurl4-doc 30000 400000 cat .c
	take code nlohmann-json3-dev 40000 500000 cat .hpp
	take code libpython3.11-stdlib 30000 900000 cat .py
	take code perl-modules-5.36 30000 700000 cat .pm
	take code bash-completion 20000 400000 cat '/completions/*'
	take code devscripts 30000 400000 cat '/usr/bin/*' .pm .sh
	take code slib 30000 450000 cat .scm
	take code cl-alexandria 30000 200000 cat .lisp
	take code cl-ppcre 30000 250000 cat .lisp
	take code elpa-dash 40000 150000 cat .el
	take code node-lodash 20000 400000 cat .js
	take code node-acorn 40000 300000 cat .js
	take code node-yargs 30000 250000 cat .js .ts
	take code node-commander 40000 200000 cat .js .ts
	take code librust-regex-dev 30000 400000 cat .rs
	take code librust-clap-dev 30000 400000 cat .rs
	take code librust-serde-dev 30000 350000 cat .rs
	take code golang-github-spf13-cobra-dev 30000 300000 cat .go
	take code golang-github-gorilla-mux-dev 30000 200000 cat .go
	take code ruby-rack 30000 350000 cat .rb
	take code lua-penlight 30000 300000 cat .lua

	# English prose
	take_cmd prose bible-kjv-text "bible gen1:1-rev22:21" 1800000 \
		"$X/bible-kjv/usr/bin/bible" -p "$X/bible-kjv-text/usr/lib" gen1:1-rev22:21
	take prose manpages 20000 1300000 man '/man?/*.gz'
	take prose manpages-dev 20000 700000 man '/man?/*.gz'
	take prose jargon-text 1000000 1000000 cat jargon.txt.gz jargon.txt '/jargon/*'
	take prose fortunes 60000 900000 cat '/fortunes/*[a-z]'
	take prose debian-policy 800000 800000 cat policy.txt.gz
	take prose fortunes-min 60000 200000 cat '/fortunes/*[a-z]'

	# other scripts
	take scripts libreoffice-help-ko 20000 1500000 'script:\p{Hangul}' .html
	take scripts gnome-user-docs 20000 500000 'script:\p{Hangul}' '/ko/*.page'
	take scripts debian-faq-ko 40000 300000 'script:\p{Hangul}' .html
	take scripts fortunes-zh 100000 300000 'script:\p{Han}' '/fortunes/tang300' '/fortunes/song100' '/fortunes/chinese'
	take scripts debian-reference-zh-cn 40000 300000 'script:\p{Han}' .html
	take scripts manpages-zh 20000 200000 'manscript:\p{Han}' '.gz'
	take scripts debian-reference-ja 40000 300000 'script:\p{Hiragana}' .html
	take scripts manpages-ja 20000 300000 'manscript:\p{Hiragana}' '.gz'
	for l in ar he; do
		xpi=$(ls "$X"/firefox-esr-l10n-$l/usr/lib/firefox-esr/browser/extensions/*.xpi 2>/dev/null | head -1 || true)
		if [ -n "$xpi" ]; then
			take_cmd scripts firefox-esr-l10n-$l "$(basename "$xpi"):*.ftl" 300000 \
				sh -c "unzip -p '$xpi' '*.ftl'"
		fi
	done
	take scripts dict-freedict-ara-eng 250000 250000 cat .dict.dz
	take scripts hunspell-he 100000 100000 cat he_IL.dic
	take scripts fortunes-ru 40000 400000 'script:\p{Cyrillic}' '/ru/*[a-z0-9]'
	take scripts manpages-ru 20000 250000 'manscript:\p{Cyrillic}' '.gz'
	take scripts gnome-user-docs 20000 250000 'script:\p{Greek}' '/el/*.page'
	take scripts manpages-el 20000 200000 'manscript:\p{Greek}' '.gz'

	# structured
	take structured iso-codes 200000 900000 cat '/json/*.json'
	take structured shared-mime-info 400000 400000 cat freedesktop.org.xml freedesktop.org.xml.in
	take structured unicode-data 500000 500000 cat UnicodeData.txt
	take structured ncbi-data 150000 150000 cat lat_lon_country.txt
	take structured tzdata 60000 120000 cat .tab
	take structured distro-info-data 30000 60000 cat .csv
	take structured ca-certificates 20000 350000 cat .crt
	take structured publicsuffix 200000 200000 cat public_suffix_list.dat
	take structured pari-doc 60000 500000 cat '.tex'
	take_cmd structured libreoffice-help-ko "od -A x -t x1z of PNG images" 300000 \
		sh -c "find '$X/libreoffice-help-ko' -name '*.png' | sort | head -20 | xargs cat | od -A x -t x1z -v"
	take_cmd structured libreoffice-help-ko "base64 of PNG images" 200000 \
		sh -c "find '$X/libreoffice-help-ko' -name '*.png' | sort | tail -30 | xargs cat | base64"
fi

# Split and concatenate.
: >"$W/train.txt.tmp"
: >"$W/heldout.txt.tmp"
printf 'doc\tgroup\tpackage\tpath\tsplit\toffset\tbytes\tversion\tsha256\n' >"$W/manifest.tsv.tmp"
declare -A VER=()
if [ -s "$W/packages.tsv" ] && [ $TINY = 0 ]; then
	while IFS=$'\t' read -r p v _; do VER[$p]=$v; done <"$W/packages.tsv"
fi
toff=0
hoff=0
while IFS=$'\t' read -r id group pkg path n; do
	h=$(printf '%s:%s' "$pkg" "$path" | cksum | cut -d' ' -f1)
	sum=$(sha256sum <"$DOCS/$id" | cut -d' ' -f1)
	ver=${VER[$pkg]:--}
	if [ $((h % HOLD)) = 0 ]; then
		cat "$DOCS/$id" >>"$W/heldout.txt.tmp"
		printf '%s\t%s\t%s\t%s\theldout\t%d\t%d\t%s\t%s\n' "$id" "$group" "$pkg" "$path" "$hoff" "$n" "$ver" "$sum" >>"$W/manifest.tsv.tmp"
		hoff=$((hoff + n))
	else
		cat "$DOCS/$id" >>"$W/train.txt.tmp"
		printf '%s\t%s\t%s\t%s\ttrain\t%d\t%d\t%s\t%s\n' "$id" "$group" "$pkg" "$path" "$toff" "$n" "$ver" "$sum" >>"$W/manifest.tsv.tmp"
		toff=$((toff + n))
	fi
done <"$W/docs.tsv"
mv "$W/train.txt.tmp" "$W/train.txt"
mv "$W/heldout.txt.tmp" "$W/heldout.txt"
mv "$W/manifest.tsv.tmp" "$W/manifest.tsv"
rm -rf "$DOCS" "$TMP" "$W/docs.tsv"
for g in dna code prose scripts structured; do
	say "corpus: group $g: ${GOT[$g]} bytes"
done
say "corpus: $NDOC documents; train $toff bytes, held-out $hoff bytes"
# The documents of the shipped demo (model/corpus-documents.tsv.gz:
# package, path, SHA-256): say what differs from them.
REF=$(dirname "$0")/corpus-documents.tsv.gz
if [ $TINY = 0 ] && [ -s "$REF" ]; then
	gzip -dc "$REF" | awk -F'\t' -v say="corpus: " '
	FNR == NR { ref[$1 ":" $2] = $3; next }
	FNR > 1 { k = $3 ":" $4; if (!(k in ref)) new[++nn] = k; else if (ref[k] != $9) chg[++nc] = k; else same++; seen[k] = 1 }
	END {
		for (k in ref) if (!(k in seen)) gone[++ng] = k
		if (!nn && !nc && !ng) { printf("%severy document is the shipped demo'"'"'s (%d, by SHA-256)\n", say, same) > "/dev/stderr"; exit }
		printf("%s%d documents as in the shipped demo, %d changed, %d new, %d missing (the corpus differs from data/README'"'"'s)\n", say, same, nc, nn, ng) > "/dev/stderr"
		for (i = 1; i <= nc && i <= 5; i++) printf("%s  changed: %s\n", say, chg[i]) > "/dev/stderr"
		for (i = 1; i <= nn && i <= 5; i++) printf("%s  new: %s\n", say, new[i]) > "/dev/stderr"
		for (i = 1; i <= ng && i <= 5; i++) printf("%s  missing: %s\n", say, gone[i]) > "/dev/stderr"
	}' - "$W/manifest.tsv"
fi
