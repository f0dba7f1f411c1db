#!/usr/bin/env python3
"""Checks scripts/deps.txt, the list of every program the project runs on the host, against the code that runs them.

  scripts/check-deps.py               every program the shell scripts, the Makefile and the Java tests call is listed
  scripts/check-deps.py --installed [GROUP...]
                                      also: every listed program (of these groups; default all) is there and comes
                                      from its listed package (run it after scripts/setup.sh GROUP..., as .ci/run does);
                                      programs of the base group come from Essential or Priority: required packages
  scripts/check-deps.py --minbase TAR also: every base program is in TAR, a `debootstrap --variant=minbase` root
                                      (test/container/make-base-images.sh caches one as minbase-bookworm.tar)

Finding calls: in shell code (scripts, test/, bench/, .ci/run, Makefile recipes and $(shell ...)), each word in command
position: at the start of a line, after ; | & && || ( $( ` { ! and after if/then/else/elif/do/while/until, exec,
command, time, env, nice, nohup, timeout, xargs; also the first element of an array literal (QEMU=(qemu-system-x86_64
...)). In Java sources, the first string literal of ProcessBuilder(...), List.of(...) and every literal of
assumeCommands(...) and E2e.run(...), plus absolute paths such as "/usr/sbin/nginx". A word counts as a program when it
is listed or is a program on this machine's PATH (sbin included); shell builtins, keywords and the scripts' own
functions are not. Code that runs inside a guest or container image is not the host's (see SKIP). Prints one line per
problem and exits 1 if there is any.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPS = os.path.join(REPO, "scripts", "deps.txt")
SEARCH_PATH = os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin"

SHELL_FILES = [".ci/run", "bin/http-profiler", "scripts/*.sh", "test/**/*.sh", "bench/*.sh"]
JAVA_FILES = ["src/**/*.java"]
# Run inside the qemu guest (their programs are test/kernels/lib.sh's GUEST_PACKAGES), not on the host.
SKIP = {"test/kernels/smoke.sh", "test/kernels/kprobe-churn.sh"}
SKIP_DIRS = ("test/kernels/guest/",)

BUILTINS = set("""
. : [ [[ ]] alias bg bind break builtin caller case cd command compgen complete continue declare dirs disown do done
echo elif else enable esac eval exec exit export false fc fg fi for function getopts hash help history if in jobs kill
let local logout mapfile popd printf pushd pwd read readarray readonly return select set shift shopt source suspend
test then time times trap true type typeset ulimit umask unalias unset until wait while { } !
""".split())
# Not commands in the position they take: `kill` is also a program (procps) that the Java tests run, but in shell code
# it is the builtin; these wrappers are followed by the command they run.
WRAPPERS = {"exec", "command", "time", "env", "nice", "nohup", "timeout", "xargs", "sudo", "setsid", "builtin"}
KEYWORDS_BEFORE_COMMAND = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"}


def read_deps():
    entries = []
    for number, line in enumerate(open(DEPS, encoding="utf-8"), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 3:
            sys.exit("check-deps: %s:%d: want COMMAND PACKAGE GROUPS" % (DEPS, number))
        entries.append((fields[0], fields[1], fields[2].split(","), number))
    return entries


def is_program(word):
    return shutil.which(word, path=SEARCH_PATH) is not None


def project_files():
    """The project's own files (tracked, or new and not ignored): installed tools such as test/har/node_modules are
    not ours to check. None outside a git checkout, where every file counts."""
    try:
        listing = subprocess.run(["git", "-C", REPO, "ls-files", "-co", "--exclude-standard"], capture_output=True,
                                 text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return set(listing.splitlines())


def files(patterns):
    own = project_files()
    found = set()
    for pattern in patterns:
        for path in glob.glob(os.path.join(REPO, pattern), recursive=True):
            rel = os.path.relpath(path, REPO)
            if (os.path.isfile(path) and rel not in SKIP and not rel.startswith(SKIP_DIRS)
                    and (own is None or rel in own)):
                found.add(rel)
    return sorted(found)


# ---- shell ------------------------------------------------------------------------------------------------------

WORD_END = set(" \t\n;&|()<>`")


class ShellScanner:
    """Finds the words in command position of shell code: a small tokenizer, not a parser (see the module doc)."""

    def __init__(self, text):
        self.s = text
        self.i = 0
        self.line = 1
        self.calls = []  # (line, word)
        self.functions = set()

    def scan(self):
        self.code(end=None)
        return self.calls

    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else "\0"  # never `in` a string of characters, unlike ""

    def advance(self, n=1):
        for _ in range(n):
            if self.i < len(self.s) and self.s[self.i] == "\n":
                self.line += 1
            self.i += 1

    def code(self, end):
        """Shell code until `end` (")" or "`" or None for the end of text)."""
        at_start = True
        skip_to = None  # after `for`/`case`/`[[`: the words until this one are not commands
        heredocs = []
        while self.i < len(self.s):
            c = self.peek()
            if end == ")" and c == ")":
                self.advance()
                return
            if end == "`" and c == "`":
                self.advance()
                return
            if c == "\\" and self.peek(1) == "\n":
                self.advance(2)
                continue
            if c == "\n":
                self.advance()
                for tag in heredocs:
                    self.skip_heredoc(tag)
                heredocs = []
                if skip_to not in ("in", "]]"):
                    skip_to = None
                at_start = skip_to is None
                continue
            if c in " \t":
                self.advance()
                continue
            if c == "#":
                while self.i < len(self.s) and self.peek() != "\n":
                    self.advance()
                continue
            if c == ";":
                self.advance()
                while self.peek() in (";", "&"):
                    self.advance()
                if skip_to == ";":
                    skip_to = None
                at_start = skip_to is None
                continue
            if c in "&|":
                self.advance()
                if self.peek() in "&|":
                    self.advance()
                if skip_to != "]]":
                    at_start = True
                continue
            if c in "<>":
                rest = self.s[self.i:self.i + 100]
                if self.peek(1) == "(":  # process substitution
                    self.advance(2)
                    self.code(")")
                elif rest.startswith("<<<"):  # here-string
                    self.advance(3)
                    self.word_after_blanks()
                elif heredoc := re.match(r"<<-?\s*['\"]?(\w+)['\"]?", rest):
                    heredocs.append(heredoc.group(1))
                    self.advance(heredoc.end())
                else:  # >file 2>&1 &>file >|file: the next word is a file or a descriptor
                    while self.peek() in ("<", ">", "&", "|"):
                        self.advance()
                    self.word_after_blanks()
                continue
            if c == "(":
                if self.peek(1) == "(":
                    self.advance(2)
                    self.arithmetic()
                else:
                    self.advance()
                    self.code(")")
                at_start = False
                continue
            if c == ")":  # a case pattern's end
                self.advance()
                at_start = True
                continue
            if c == "`":
                self.advance()
                self.code("`")
                at_start = False
                continue
            start_line = self.line
            word = self.word()
            if word == "":
                self.advance()
                continue
            if skip_to is not None:
                if word == skip_to:
                    at_start = skip_to == "in"  # after `case x in`: a pattern, then `)`, then a command
                    skip_to = None
                continue
            if not at_start or (word.isdigit() and self.peek() in "<>"):  # 9>"$lock": a descriptor
                continue
            # A case pattern (`proc)`, `-h|--help)`): the command comes after the `)`.
            if self.peek() == ")" and end != ")":
                continue
            if self.peek() == "(" and self.peek(1) == ")":  # name() { ... }
                self.functions.add(word)
                self.advance(2)
                continue
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=.*", word):
                if word.endswith("=") and self.peek() == "(":
                    self.advance()
                    self.array_literal()
                continue  # an assignment; the command, if any, follows
            if word == "function":
                name = self.word_after_blanks()
                self.functions.add(name)
                continue
            if word in ("for", "select"):
                skip_to = ";"
                continue
            if word == "case":
                skip_to = "in"
                continue
            if word == "[[":
                skip_to = "]]"
                continue
            if word in KEYWORDS_BEFORE_COMMAND:
                continue
            if word in WRAPPERS:
                self.calls.append((start_line, word))  # timeout, env, xargs, ... are programs too
                self.skip_wrapper_arguments(word)
                continue
            self.calls.append((start_line, word))
            at_start = False

    def skip_wrapper_arguments(self, wrapper):
        """Options of exec/env/timeout/...; the next word is the command they run."""
        while True:
            save = (self.i, self.line)
            nxt = self.word_after_blanks()
            if nxt.startswith("-") or (wrapper == "env" and "=" in nxt) or \
                    (wrapper == "timeout" and re.fullmatch(r"[0-9.]+[smhd]?|\$.*|\".*", nxt)):
                if wrapper == "timeout" and nxt in ("-k", "-s", "--kill-after", "--signal"):
                    self.word_after_blanks()
                continue
            self.i, self.line = save
            return

    def word_after_blanks(self):
        while self.peek() in (" ", "\t"):
            self.advance()
        return self.word()

    def word(self):
        """One shell word (quotes kept); command substitutions inside it are scanned."""
        out = []
        while self.i < len(self.s):
            c = self.peek()
            if c == "\\":
                out.append(self.s[self.i:self.i + 2])
                self.advance(2)
            elif c == "'":
                j = self.s.find("'", self.i + 1)
                j = len(self.s) if j < 0 else j
                out.append(self.s[self.i:j + 1])
                self.advance(j + 1 - self.i)
            elif c == '"':
                out.append('"')
                self.advance()
                self.double_quoted()
                out.append('"')
            elif c == "$" and self.peek(1) == "(":
                out.append("$(...)")
                if self.peek(2) == "(":
                    self.advance(3)
                    self.arithmetic()
                else:
                    self.advance(2)
                    self.code(")")
            elif c == "$" and self.peek(1) == "{":
                depth = 0
                while self.i < len(self.s):
                    ch = self.peek()
                    out.append(ch)
                    self.advance()
                    depth += {"{": 1, "}": -1}.get(ch, 0)
                    if depth == 0:
                        break
            elif c in "<>" and self.peek(1) == "(" and not out:
                self.advance(2)
                self.code(")")
                out.append("<(...)")
            elif c in WORD_END:
                break
            else:
                out.append(c)
                self.advance()
        return "".join(out)

    def double_quoted(self):
        while self.i < len(self.s):
            c = self.peek()
            if c == "\\":
                self.advance(2)
            elif c == '"':
                self.advance()
                return
            elif c == "$" and self.peek(1) == "(":
                if self.peek(2) == "(":
                    self.advance(3)
                    self.arithmetic()
                else:
                    self.advance(2)
                    self.code(")")
            elif c == "`":
                self.advance()
                self.code("`")
            else:
                self.advance()

    def arithmetic(self):
        """Inside (( )) or $(( )): no commands, but $( ) may open one."""
        depth = 0
        while self.i < len(self.s):
            c = self.peek()
            if c == "$" and self.peek(1) == "(" and self.peek(2) != "(":
                self.advance(2)
                self.code(")")
            elif c == "(":
                depth += 1
                self.advance()
            elif c == ")":
                if depth == 0 and self.peek(1) == ")":
                    self.advance(2)
                    return
                depth -= 1
                self.advance()
            elif c in "'\"":
                self.word()
            else:
                self.advance()

    def array_literal(self):
        """NAME=(first ...): the first element may be a program the array is later run as ("${QEMU[@]}")."""
        first = True
        while self.i < len(self.s):
            c = self.peek()
            if c == ")":
                self.advance()
                return
            if c in " \t\n":
                self.advance()
                continue
            if c == "#":
                while self.i < len(self.s) and self.peek() != "\n":
                    self.advance()
                continue
            line = self.line
            word = self.word()
            if word == "":
                self.advance()
                continue
            if first and re.fullmatch(r"[A-Za-z0-9_.+-]+", word):
                self.calls.append((line, "array:" + word))
            first = False

    def skip_heredoc(self, tag):
        while self.i < len(self.s):
            end = self.s.find("\n", self.i)
            end = len(self.s) if end < 0 else end
            line = self.s[self.i:end]
            self.advance(end + 1 - self.i)
            if line.strip() == tag:
                return


def makefile_shell(text):
    """The shell code of a Makefile: recipes and $(shell ...), simple variables ($(CLANG)) expanded, make's functions
    ($(dir $@)) and automatic variables left as unknown words."""
    variables = {}
    for m in re.finditer(r"^([A-Z_]+)\s*[?:]?=\s*(.*)$", text, re.M):
        if "$(shell" not in m.group(2):
            variables[m.group(1)] = m.group(2)
    lines, number, pending, first = [], 0, "", 0
    for number, line in enumerate(text.split("\n"), 1):
        if not pending:
            first = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append((first, pending + line))
        pending = ""
    chunks, in_recipe = [], False
    for number, line in lines:
        pieces = re.findall(r"\$\(shell (.*)\)", line)
        if line.startswith("\t") and in_recipe:
            pieces.append(line[1:].lstrip("@-"))
        elif not line.startswith("\t"):
            in_recipe = bool(re.match(r"^[^\s#=][^=]*:(?!=)", line))
        for piece in pieces:
            for _ in range(3):
                piece = re.sub(r"\$\(([A-Z_]+)\)", lambda m: variables.get(m.group(1), ""), piece)
            piece = re.sub(r"\$\([a-z]+ [^)]*\)|\$[@<^]", "$MAKE_EXPANSION", piece)
            chunks.append((number, piece.replace("$$", "$")))
    return chunks


def shell_calls():
    calls, functions = [], set()
    sources = [(path, [(1, open(os.path.join(REPO, path), encoding="utf-8").read())]) for path in files(SHELL_FILES)]
    sources.append(("Makefile", makefile_shell(open(os.path.join(REPO, "Makefile"), encoding="utf-8").read())))
    for path, chunks in sources:
        for first_line, text in chunks:
            scanner = ShellScanner(text)
            for line, word in scanner.scan():
                calls.append((path, first_line + line - 1, word))
            functions |= scanner.functions
    result = []
    for path, line, word in calls:
        array = word.startswith("array:")
        word = word[len("array:"):] if array else word
        if word.startswith(("$", '"', "'", "-")) or word in BUILTINS or word in functions:
            continue
        if "/" in word:
            if not re.fullmatch(r"/(usr/)?s?bin/[\w.+-]+", word):
                continue  # the repository's own scripts
            word = os.path.basename(word)
        if not re.fullmatch(r"[A-Za-z0-9_.+-]+", word):
            continue
        result.append((path, line, word, array))
    return result


# ---- Java ---------------------------------------------------------------------------------------------------------

LITERAL = r'"((?:[^"\\\n]|\\.)*)"'


# String literals the Java tests put first in a List.of that are data, not a command, yet name a program somewhere.
NOT_PROGRAMS_IN_JAVA = {"time"}  # JSON field names: List.of("time", "duration_ms", ...)


def java_calls():
    result = []
    for path in files(JAVA_FILES):
        text = open(os.path.join(REPO, path), encoding="utf-8").read()

        def line_of(offset):
            return text.count("\n", 0, offset) + 1
        for m in re.finditer(r"(?:new ProcessBuilder|List\.of|Arrays\.asList)\(\s*" + LITERAL, text):
            result.append((path, line_of(m.start()), m.group(1), True))
        for m in re.finditer(r"(?:assumeCommands|E2e\.run|\brun)\(([^;]*)\)\s*;", text):
            for lit in re.finditer(LITERAL, m.group(1)):
                result.append((path, line_of(m.start()), lit.group(1), True))
        for m in re.finditer(r'"(/(?:usr/)?s?bin/[\w.+-]+)"', text):
            result.append((path, line_of(m.start()), os.path.basename(m.group(1)), False))
        # Shell snippets: Robustness.sh("mount ..." + dir), mount("mount -t ..."), String script = "..." + ...;
        for m in re.finditer(r"(?:\b(?:sh|mount)\(|String script\s*=)(.*?)\)?;\s*$", text, re.M | re.S):
            literals = [lit.group(1).replace('\\"', '"') for lit in re.finditer(LITERAL, m.group(1))]
            for line, word in ShellScanner("$X".join(literals)).scan():
                if not word.startswith(("$", '"', "'", "-", "array:")) and word not in BUILTINS:
                    result.append((path, line_of(m.start()), word, True))
    # A program named by its full path ("/usr/bin/node") is the program of that name, as in shell code.
    result = [(p, n, os.path.basename(w) if re.fullmatch(r"/(usr/)?s?bin/[\w.+-]+", w) else w, only)
              for p, n, w, only in result]
    return [(p, n, w, only) for p, n, w, only in result if w not in NOT_PROGRAMS_IN_JAVA]


# ---- checks -------------------------------------------------------------------------------------------------------

def package_programs(package):
    """Every program a package installs (for deps.txt lines whose COMMAND is *)."""
    return {os.path.basename(f) for f in dpkg_files(package) or () if re.search(r"/s?bin/[^/]+$", f)}


def check_calls(listed):
    problems = []
    seen = set()
    for path, line, word, only_if_program in shell_calls() + java_calls():
        if word in listed or (path, word) in seen:
            continue
        if only_if_program and not is_program(word):
            continue  # an array's first element or a Java string that is no program here
        seen.add((path, word))
        where = shutil.which(word, path=SEARCH_PATH) or "not on this machine"
        problems.append("%s:%d runs %s (%s), which scripts/deps.txt does not list" % (path, line, word, where))
    return problems


def dpkg_files(package):
    out = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True)
    return set(out.stdout.split()) if out.returncode == 0 else None


def direct_dependencies(package):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Pre-Depends},${Depends}", package], capture_output=True, text=True)
    return [d.strip().split()[0].split(":")[0] for d in re.split(r"[,|]", out.stdout) if d.strip()]


def candidate_paths(what):
    """Where the entry is on this machine: every PATH hit (and what its symlinks resolve to), or the file itself."""
    if what.startswith("/"):
        paths = [what] if os.path.exists(what) else []
    elif ".so." in what:
        out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
        paths = [line.split("=>")[-1].strip() for line in out.splitlines() if line.split() and line.split()[0] == what]
    else:
        paths = [os.path.join(d, what) for d in SEARCH_PATH.split(":")
                 if d and os.path.isfile(os.path.join(d, what)) and os.access(os.path.join(d, what), os.X_OK)]
    result = set()
    for p in paths:
        for q in (p, os.path.realpath(p)):
            result.add(q)
            # /usr-merged systems: dpkg may record /bin/x for /usr/bin/x and the other way round.
            result.add(q[4:] if q.startswith("/usr/") else "/usr" + q)
    return result


def check_installed(entries):
    problems = []
    for what, package, groups, number in entries:
        if what == "*":
            paths = {f for f in dpkg_files(package) or () if re.search(r"/s?bin/[^/]+$", f)}
        else:
            paths = candidate_paths(what)
        if not paths:
            problems.append("deps.txt:%d: %s is not on this machine (package %s)" % (number, what, package))
            continue
        # PACKAGE may name alternatives (npm|nodejs: Debian's npm, or a nodejs that bundles npm, as NodeSource's does).
        owners = [owner for choice in package.split("|") for owner in [choice] + direct_dependencies(choice)]
        if not any((dpkg_files(p) or set()) & paths for p in owners):
            problems.append("deps.txt:%d: %s (%s) does not come from %s or what it depends on"
                            % (number, what, ", ".join(sorted(p for p in paths if os.path.exists(p))), package))
        if "base" in groups:
            out = subprocess.run(["dpkg-query", "-W", "-f=${Essential} ${Priority}", package],
                                 capture_output=True, text=True).stdout.split()
            if out[:1] != ["yes"] and "required" not in out:
                problems.append("deps.txt:%d: %s is in group base, but %s is neither Essential nor required (%s)"
                                % (number, what, package, " ".join(out) or "not installed"))
    return problems


def check_minbase(entries, tar_path):
    names = set()
    with tarfile.open(tar_path) as tar:
        for member in tar.getmembers():
            name = member.name.lstrip(".")
            names.add(name)
    problems = []
    bins = ("/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/")
    for what, package, groups, number in entries:
        if "base" in groups and what != "*" and not any(b + what in names for b in bins):
            problems.append("deps.txt:%d: %s (group base) is not in the minbase root %s" % (number, what, tar_path))
    return problems


# What the shell scanner must find (and skip) in constructs the scripts use; checked on every run, it takes no time.
SCANNER_CASES = [
    ('x=$(basename "$f") && y=`dirname $f` | sort >out 2>&1', ["basename", "dirname", "sort"]),
    ('if ! grep -q a b; then exec 9>"$lock"; fi; while read -r l; do echo; done < <(awk 1 f)',
     ["grep", "awk"]),
    ('case $1 in\n  proc) mount -t proc p /p ;;\n  -h|--help) sed -n 2p "$0" ;;\nesac', ["mount", "sed"]),
    ('for d in a b; do rm -f "$d"; done; [[ $(id -u) == 0 && -n $x ]] && timeout -k 10 5 qemu -x',
     ["rm", "id", "timeout", "qemu"]),
    ('QEMU=(qemu-system-x86_64 -m 1)\ncat <<EOF\nnot a command\nEOF\nf() { tail -1; }\nf', ["array:qemu-system-x86_64", "cat", "tail"]),
    ('n=$(( $(date +%s) - 1 )); python3 - <<\'PY\'\nimport os\nPY\nenv -i A=1 chroot "$r" sh -c "apt-get x"',
     ["date", "python3", "env", "chroot"]),
]


def self_test():
    for text, expected in SCANNER_CASES:
        scanner = ShellScanner(text)
        found = [word for _, word in scanner.scan()
                 if word not in BUILTINS and word not in scanner.functions and not word.startswith("-")]
        if found != expected:
            sys.exit("check-deps: the shell scanner is broken: %r gives %s, not %s" % (text, found, expected))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--installed", nargs="*", metavar="GROUP")
    ap.add_argument("--minbase", metavar="TAR")
    args = ap.parse_args()
    self_test()
    entries = read_deps()
    listed = {what for what, _, _, _ in entries}
    for what, package, _, _ in entries:
        if what == "*":
            listed |= package_programs(package)
    problems = check_calls(listed)
    if args.installed is not None:
        groups = set(args.installed) | {"base"} if args.installed else None
        problems += check_installed([e for e in entries if groups is None or groups & set(e[2])])
    if args.minbase:
        problems += check_minbase(entries, args.minbase)
    for problem in problems:
        print("check-deps: " + problem)
    checked = "calls" + (", installed packages" if args.installed is not None else "") + (", minbase" if args.minbase else "")
    print("check-deps: %d entries in scripts/deps.txt; %s checked: %s" % (
        len(entries), checked, "%d problems" % len(problems) if problems else "OK"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
