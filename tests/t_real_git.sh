# git init, add, commit, branch, log, diff in a temporary repository under
# the preload (git runs child processes): same output and exit code, and a
# readable snapshot from every process.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
command -v git >/dev/null || { echo "SKIP: git not installed"; exit 0; }
mkdir -p "$T/home"
export HOME=$T/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=t@example.com \
  GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=t@example.com GIT_PAGER=cat PAGER=cat \
  GIT_AUTHOR_DATE="2024-01-01T00:00:00 +0000" GIT_COMMITTER_DATE="2024-01-01T00:00:00 +0000"
cat >"$T/git.sh" <<'SH'
set -e
git init -q -b main repo
cd repo
for i in $(seq 1 200); do echo "line $i" >>file.txt; done
mkdir -p src && for i in $(seq 1 30); do echo "int f$i(void) { return $i; }" >src/f$i.c; done
git add -A
git commit -q -m "first commit"
git checkout -q -b topic
sed -i 's/line 1$/line one/' file.txt
echo extra >src/extra.c
git add -A
git commit -q -m "second commit"
git checkout -q main
git merge -q --no-ff -m "merge topic" topic
git log --stat --format='%H %an %s'
git diff HEAD~1 --stat
git show --format=%s HEAD~1:file.txt | head -3
git ls-files | wc -l
git gc -q
git fsck --no-progress | head -3
git rev-parse HEAD
SH
real_check git bash "$T/git.sh"
finish
