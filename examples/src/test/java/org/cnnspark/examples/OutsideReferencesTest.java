package org.cnnspark.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every file the repository's text names is in the repository: no path that climbs out of it
 * (a {@code ..} past the repository's root, {@code $root/..}), no absolute path into somebody's machine
 * ({@code /work/...}, {@code /home/...}), no Markdown file name (such as a design document) that no
 * tracked file carries, and every relative Markdown link, with its {@code #anchor}, resolves.
 * Scans the files git tracks, except binary ones and this file, whose planted examples would
 * otherwise trip it.
 */
class OutsideReferencesTest {
  static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  static final String SELF = "examples/src/test/java/org/cnnspark/examples/OutsideReferencesTest.java";

  /** Absolute paths into a home or work directory: they exist on one machine only. */
  static final Pattern MACHINE_PATH = Pattern.compile("(?<![\\w.~-])/(?:work|home|Users)/[\\w.-]+");
  /** A run of parent steps, "../.." or "../", not part of an ellipsis or a longer name. */
  static final Pattern PARENT_STEPS = Pattern.compile("(?<![.\\w])(?:\\.\\.(?:/|(?=[\\s\"'`)\\]}]|$)))+");
  /** Shell names for the repository root: parent steps after them always leave it. */
  static final Pattern ROOT_VARIABLE = Pattern.compile("\\$\\{?(?:root|ROOT)}?/$");
  /** Shell ways of naming the script's own directory: parent steps count from there. */
  static final Pattern OWN_DIRECTORY = Pattern.compile("(?:\\)|\\$\\{?here}?)/$");
  static final Pattern MARKDOWN_NAME = Pattern.compile("(?<![\\w./-])[\\w./-]*?([\\w-]+\\.md)\\b");
  static final Pattern MARKDOWN_LINK = Pattern.compile("\\[[^\\]]*]\\(([^)\\s]+)\\)");
  static final Pattern HEADING = Pattern.compile("(?m)^#{1,6}\\s+(.+?)\\s*$");

  @Test
  void noTrackedFileReferencesAFileOutsideTheRepository() throws IOException, InterruptedException {
    Repo repo = Repo.of(ROOT, tracked());
    List<String> problems = new ArrayList<>();
    repo.texts.forEach((file, text) -> {
      if (!file.equals(SELF)) {
        problems.addAll(check(file, text, repo));
      }
    });
    assertTrue(repo.texts.containsKey("README.md"), "the scan did not see README.md under " + ROOT);
    assertEquals(List.of(), problems, "name files inside the repository (or none at all)");
  }

  @Test
  void plantedOutsideReferencesAreCaughtAndInsideOnesPass() {
    Repo repo = new Repo(Set.of("README.md", "docs/cli.md", "deploy/README.md", "bench/run.sh", "deploy/x/start.sh",
        "driver/src/test/java/org/Foo.java"), Map.of("docs/cli.md", "# The command line\n## train\n### Data options\n"));
    // Leaving the repository, each way it has happened here
    String sibling = ".." + "/shared/peers/torch_cnn_bench.py"; // split so the repository's own scans do not see it
    assertEquals(1, check("README.md", "PyTorch (`" + sibling + "`)", repo).size());
    assertEquals(1, check("bench/run.sh", "peer=\"$root/" + sibling + "\"", repo).size());
    assertEquals(1, check("bench/run.sh", "root=\"$(cd \"$(dirname \"$0\")/../..\" && pwd)\"", repo).size());
    assertEquals(1, check("driver/src/test/java/org/Foo.java", " * as W = 2 (DESIGN.md contract 5).", repo).size());
    assertEquals(1, check("bench/run.sh", "cat /work/shared/peers/README.md", repo).size());
    assertEquals(1, check("README.md", "cached in /home/alice/data", repo).size());
    assertEquals(1, check("docs/cli.md", "see [the recipes](deploy/README.md)", repo).size());
    assertEquals(1, check("README.md", "[options](docs/cli.md#no-such-heading)", repo).size());
    assertEquals(1, check("docs/cli.md", "[below](#no-such-heading)", repo).size());
    // Staying inside
    assertEquals(List.of(), check("bench/run.sh", "root=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")/..\" && pwd)\"", repo));
    assertEquals(List.of(), check("deploy/x/start.sh", "root=\"$(cd \"$here/../..\" && pwd)\"", repo));
    assertEquals(List.of(), check("driver/src/test/java/org/Foo.java", "root.resolve(\"../jpegs\")", repo));
    assertEquals(List.of(), check("docs/cli.md", "[the recipes](../deploy/README.md), `deploy/README.md`", repo));
    assertEquals(List.of(), check("README.md", "[data options](docs/cli.md#data-options)", repo));
    assertEquals(List.of(), check("docs/cli.md", "[below](#train), [https](https://spark.apache.org/docs/)", repo));
    assertEquals(List.of(), check("README.md", "conv1.bias, ..., fc2.bias; SPARK_HOME=... ~/.cache/cnn-spark", repo));
  }

  /** What in one file's text names something outside the repository, one line per finding. */
  static List<String> check(String file, String text, Repo repo) {
    List<String> problems = new ArrayList<>();
    int depth = file.split("/").length - 1;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String where = file + ":" + (i + 1) + ": ";
      Matcher m = MACHINE_PATH.matcher(line);
      while (m.find()) {
        problems.add(where + "absolute path " + m.group() + " exists on one machine only");
      }
      m = PARENT_STEPS.matcher(line);
      while (m.find()) {
        int steps = m.group().split("\\.\\.", -1).length - 1;
        String before = line.substring(0, m.start());
        int base = ROOT_VARIABLE.matcher(before).find() ? 0
            : OWN_DIRECTORY.matcher(before).find() || !before.endsWith("/") ? depth : Integer.MAX_VALUE;
        if (steps > base) {
          problems.add(where + "'" + m.group() + "' climbs " + steps + " levels from a place " + base
              + " deep: out of the repository");
        }
      }
      m = MARKDOWN_NAME.matcher(line);
      while (m.find()) {
        if (!repo.hasFileNamed(m.group(1))) {
          problems.add(where + m.group(1) + " is not in the repository");
        }
      }
      if (file.endsWith(".md")) {
        m = MARKDOWN_LINK.matcher(line);
        while (m.find()) {
          String problem = repo.brokenLink(file, m.group(1));
          if (problem != null) {
            problems.add(where + problem);
          }
        }
      }
    }
    return problems;
  }

  static List<String> tracked() throws IOException, InterruptedException {
    Process git = new ProcessBuilder("git", "ls-files", "-z").directory(ROOT.toFile()).redirectErrorStream(true).start();
    String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(git.waitFor(60, TimeUnit.SECONDS) && git.exitValue() == 0, "git ls-files failed in " + ROOT
        + " (this test reads a git checkout): " + out);
    return List.of(out.split("\0"));
  }

  /** The tracked files, and the text of those that are text. */
  record Repo(Set<String> files, Map<String, String> texts) {
    static Repo of(Path root, List<String> tracked) throws IOException {
      Map<String, String> texts = new HashMap<>();
      for (String file : tracked) {
        Path path = root.resolve(file);
        if (Files.isRegularFile(path) && Files.size(path) < (4 << 20)) {
          byte[] bytes = Files.readAllBytes(path);
          if (indexOfZero(bytes) < 0) {
            texts.put(file, new String(bytes, StandardCharsets.UTF_8));
          }
        }
      }
      return new Repo(new TreeSet<>(tracked), texts);
    }

    boolean hasFileNamed(String name) {
      return files.stream().anyMatch(f -> f.equals(name) || f.endsWith("/" + name));
    }

    /** Why a Markdown link target in {@code file} does not resolve, or null when it does. */
    String brokenLink(String file, String target) {
      if (target.matches("^[a-z]+:.*")) {
        return null;  // http:, https:, mailto:
      }
      int hash = target.indexOf('#');
      String pathPart = hash < 0 ? target : target.substring(0, hash);
      String anchor = hash < 0 ? null : target.substring(hash + 1);
      Path dir = Path.of(file).getParent();
      String resolved = pathPart.isEmpty() ? file
          : (dir == null ? Path.of(pathPart) : dir.resolve(pathPart)).normalize().toString().replace('\\', '/');
      if (resolved.startsWith("..")) {
        return "link " + target + " leaves the repository";
      }
      String prefix = resolved.endsWith("/") ? resolved : resolved + "/";
      if (!files.contains(resolved) && files.stream().noneMatch(f -> f.startsWith(prefix))) {
        return "link " + target + ": no " + resolved + " in the repository";
      }
      if (anchor != null && texts.containsKey(resolved) && !anchors(texts.get(resolved)).contains(anchor)) {
        return "link " + target + ": " + resolved + " has no heading #" + anchor;
      }
      return null;
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
    static Set<String> anchors(String markdown) {
      Set<String> anchors = new TreeSet<>();
      Matcher m = HEADING.matcher(markdown);
      while (m.find()) {
        anchors.add(m.group(1).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
      }
      return anchors;
    }

    private static int indexOfZero(byte[] bytes) {
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == 0) {
          return i;
        }
      }
      return -1;
    }
  }
}
