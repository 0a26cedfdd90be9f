# tests/helpers/pictures.bash: checks for the CSV files behind the pictures.
#
#   load '../../helpers/pictures'   (after common)
#
# timeline_ok FILE     the CSV of CONVENTIONS 3: exact header, four fields,
#                      0 <= start_s <= end_s, six decimals; fails otherwise.
# timeline_count FILE LANE ERE   rows of LANE whose label matches ERE.
# timeline_lanes FILE  lane names, one a line, in order of first appearance.
# fd_targets FILE PROCESS STEP   "fd target access" lines of one snapshot
#                      (the CSV of --fd-table: process,pid,step,fd,target,access).

timeline_ok() {
    local file=$1
    [[ $(head -n 1 "$file") == "lane,start_s,end_s,label" ]] ||
        { echo "bad header in $file: $(head -n 1 "$file")"; return 1; }
    awk -F, 'NR > 1 && !(NF == 4 && $1 != "" && $2 ~ /^[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ &&
                          $3 ~ /^[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ && $3 + 0 >= $2 + 0) {
                 print "bad row " NR ": " $0; bad = 1 }
             END { exit bad }' "$file"
}

timeline_count() {
    awk -F, -v lane="$2" -v re="$3" 'NR > 1 && $1 == lane && $4 ~ re { n++ }
                                     END { print n + 0 }' "$1"
}

timeline_lanes() {
    awk -F, 'NR > 1 && !seen[$1]++ { print $1 }' "$1"
}

fd_targets() {
    awk -F, -v p="$2" -v s="$3" 'NR > 1 && $1 == p && $3 == s { print $4, $5, $6 }' "$1"
}
