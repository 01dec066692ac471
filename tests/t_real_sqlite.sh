# sqlite3: create, insert 10k rows (one statement each, in a transaction),
# index, query, under the preload: same output and exit code, readable snapshot.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 0; }
rows=10000
{
  echo "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL);"
  echo "BEGIN;"
  for ((i = 1; i <= rows; i++)); do
    echo "INSERT INTO t (name, grp, val) VALUES ('name$((i * 7919 % 10007))', $((i % 17)), $i.5);"
  done
  echo "COMMIT;"
  echo "CREATE INDEX t_grp ON t (grp);"
  echo "SELECT count(*), sum(val), min(name), max(name) FROM t;"
  echo "SELECT grp, count(*), round(avg(val), 3) FROM t GROUP BY grp ORDER BY grp;"
  echo "SELECT a.id, b.id FROM t a JOIN t b ON a.name = b.name AND a.id < b.id ORDER BY a.id LIMIT 5;"
  echo "SELECT name FROM t WHERE grp = 3 ORDER BY val DESC LIMIT 3;"
  echo "UPDATE t SET val = val * 2 WHERE grp < 5;"
  echo "DELETE FROM t WHERE id % 3 = 0;"
  echo "SELECT count(*), sum(val) FROM t;"
  echo "PRAGMA integrity_check;"
} >"$T/work.sql"
IN=$T/work.sql real_check sqlite3 sqlite3 test.db
expect "rows counted by the traced run's first query" "$rows" "$(head -1 "$T/sqlite3.out" | cut -d'|' -f1)"
finish
