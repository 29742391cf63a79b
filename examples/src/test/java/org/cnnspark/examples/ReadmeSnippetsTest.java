package org.cnnspark.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Java code the documentation quotes (README.md and docs/*.md) is the code between
 * README-SNIPPET markers in the examples, which the build compiles: every marked snippet appears
 * in a page as it is, and every Java block of a page is a marked snippet.
 */
class ReadmeSnippetsTest {
  static final Path MODULE = Path.of(System.getProperty("user.dir"));
  static final Pattern JAVA_BLOCK = Pattern.compile("(?ms)^```java\\n(.*?)^```$");

  @Test
  void everySnippetAppearsInAPageAsItIs() throws IOException {
    Map<String, String> pages = pages();
    List<String> snippets = snippets();
    for (String snippet : snippets) {
      assertTrue(pages.values().stream().anyMatch(page -> page.contains(snippet)),
          "no page of " + pages.keySet() + " quotes this snippet as it is; paste this block:\n" + snippet);
    }
    assertFalse(snippets.isEmpty(), "no README-SNIPPET markers found under " + MODULE.resolve("src/main/java"));
  }

  @Test
  void everyJavaBlockOfAPageIsASnippet() throws IOException {
    List<String> snippets = snippets();
    List<String> unmarked = new ArrayList<>();
    pages().forEach((name, page) -> {
      Matcher m = JAVA_BLOCK.matcher(page);
      while (m.find()) {
        if (!snippets.contains(m.group(1))) {
          unmarked.add(name + ":\n" + m.group(1));
        }
      }
    });
    assertEquals(List.of(), unmarked, "Java in the documentation must come from the examples, between"
        + " README-SNIPPET markers, so that the build compiles it");
  }

  /** README.md and docs/*.md by path from the repository root. */
  static Map<String, String> pages() throws IOException {
    Path root = MODULE.getParent();
    Map<String, String> pages = new LinkedHashMap<>();
    pages.put("README.md", Files.readString(root.resolve("README.md")));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      for (Path doc : docs.filter(f -> f.toString().endsWith(".md")).sorted().toList()) {
        pages.put(root.relativize(doc).toString(), Files.readString(doc));
      }
    }
    return pages;
  }

  /** The blocks between README-SNIPPET markers in the examples' sources, dedented. */
  static List<String> snippets() throws IOException {
    List<Path> sources;
    try (Stream<Path> files = Files.walk(MODULE.resolve("src/main/java"))) {
      sources = files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    }
    List<String> snippets = new ArrayList<>();
    for (Path source : sources) {
      List<String> lines = Files.readAllLines(source);
      int start = -1;
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).contains("README-SNIPPET-START")) {
          start = i + 1;
        } else if (lines.get(i).contains("README-SNIPPET-END") && start >= 0) {
          snippets.add(dedent(lines.subList(start, i)));
          start = -1;
        }
      }
    }
    return snippets;
  }

  static String dedent(List<String> lines) {
    int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min()
        .orElse(0);
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
    }
    return sb.toString();
  }
}
