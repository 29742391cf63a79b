package org.cnnspark.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The Java code the README quotes is the code between README-SNIPPET markers in the examples, which the build compiles. */
class ReadmeSnippetsTest {
  static final Path MODULE = Path.of(System.getProperty("user.dir"));

  @Test
  void everySnippetAppearsInTheReadmeAsItIs() throws IOException {
    String readme = Files.readString(MODULE.resolve("../README.md"));
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
          String snippet = dedent(lines.subList(start, i));
          assertTrue(readme.contains(snippet), "README.md does not quote " + MODULE.relativize(source)
              + " as it is; paste this block:\n" + snippet);
          snippets.add(snippet);
          start = -1;
        }
      }
    }
    assertFalse(snippets.isEmpty(), "no README-SNIPPET markers found under " + MODULE.resolve("src/main/java"));
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
