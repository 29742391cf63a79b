package org.cnnspark.driver;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnspark.driver.data.ForbiddenImportFixture;
import org.junit.jupiter.api.Test;

/**
 * The driver's package rules, checked on its compiled classes (ArchUnit reads the bytecode, so a
 * fully qualified name written inline counts as much as an import). {@link #MAY_IMPORT} is the
 * table of docs/architecture.md, row for row; a test keeps the two the same.
 */
class LayeringTest {
  private static final String DRIVER = "org.cnnspark.driver.";

  /**
   * Driver package -> what its classes may use besides themselves: other driver packages, and
   * "engine" (or a part of it: "engine.Shape", "engine.io"), "Spark" (with Scala) and "Hadoop".
   * Other libraries (the JDK, Jackson, SLF4J, picocli, JFreeChart, Kryo) are not part of the table.
   */
  static final Map<String, List<String>> MAY_IMPORT = new LinkedHashMap<>();

  static {
    MAY_IMPORT.put("spark", List.of("engine.io", "Spark", "Hadoop"));
    MAY_IMPORT.put("data", List.of("spark", "engine.Shape", "engine.Seeds", "engine.io", "Spark", "Hadoop"));
    MAY_IMPORT.put("train", List.of("spark", "data", "engine", "Spark"));
    MAY_IMPORT.put("score", List.of("spark", "data", "train", "engine", "Spark"));
    MAY_IMPORT.put("store", List.of("spark", "train", "engine", "Spark", "Hadoop"));
    MAY_IMPORT.put("report", List.of("spark", "train", "store", "engine", "Hadoop"));
    MAY_IMPORT.put("kryo", List.of("data", "train", "Spark"));
    MAY_IMPORT.put("cli", List.of("spark", "data", "train", "score", "store", "report", "kryo", "deploy", "engine", "Spark",
        "Hadoop"));
    MAY_IMPORT.put("ml", List.of("spark", "data", "train", "score", "store", "kryo", "engine", "Spark", "Hadoop"));
    MAY_IMPORT.put("deploy", List.of("kryo", "engine", "Spark"));
  }

  /** The table as one rule: one part per package, plus "nothing outside the listed packages". */
  static final ArchRule RULE = rule();

  private static ArchRule rule() {
    List<ArchRule> parts = new ArrayList<>();
    for (Map.Entry<String, List<String>> row : MAY_IMPORT.entrySet()) {
      parts.add(noClasses().that().resideInAPackage(DRIVER + row.getKey() + "..")
          .should().dependOnClassesThat(forbiddenFor(row.getKey(), row.getValue()))
          .as(row.getKey() + " may import only " + row.getValue()).allowEmptyShould(true));
    }
    parts.add(classes().that().resideInAPackage("org.cnnspark.driver..").and().doNotHaveSimpleName("package-info")
        .should().resideInAnyPackage(MAY_IMPORT.keySet().stream().map(p -> DRIVER + p + "..").toArray(String[]::new))
        .as("every driver class is in a package of the table").allowEmptyShould(true));
    return CompositeArchRule.of(parts);
  }

  /** Classes in the table's columns that {@code pkg}'s row does not list. */
  private static DescribedPredicate<JavaClass> forbiddenFor(String pkg, List<String> allowed) {
    return DescribedPredicate.describe("the table does not let " + pkg + " import", c -> {
      String unit = unit(c.getName());
      return unit != null && !unit.equals(pkg) && allowed.stream().noneMatch(a -> allows(a, unit, c.getName()));
    });
  }

  private static boolean allows(String entry, String unit, String className) {
    if (entry.startsWith("engine.")) { // a part of the engine: one class or one sub-package
      String prefix = "org.cnnspark." + entry;
      return className.equals(prefix) || className.startsWith(prefix + ".");
    }
    return entry.equals(unit);
  }

  /** Which column of the table a class falls in, or null when the table does not constrain it. */
  private static String unit(String className) {
    if (className.startsWith(DRIVER)) {
      String rest = className.substring(DRIVER.length());
      int dot = rest.indexOf('.');
      return dot < 0 ? "driver" : rest.substring(0, dot);
    }
    if (className.startsWith("org.cnnspark.engine.")) {
      return "engine";
    }
    if (className.startsWith("org.apache.spark.") || className.startsWith("scala.")) {
      return "Spark";
    }
    if (className.startsWith("org.apache.hadoop.")) {
      return "Hadoop";
    }
    return null;
  }

  /** The driver's main classes, read once (reading them is most of this test's time). */
  private static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.cnnspark.driver");

  @Test
  void everyPackageImportsOnlyWhatTheTableAllows() {
    RULE.check(MAIN);
  }

  @Test
  void thePackagesFormNoCycle() {
    slices().matching("org.cnnspark.driver.(*)..").should().beFreeOfCycles().check(MAIN);
  }

  @Test
  void aPlantedForbiddenDependencyIsReportedByName() {
    // A test-only class in data that names a class of train inline, without an import.
    EvaluationResult result = RULE.evaluate(new ClassFileImporter().importClasses(ForbiddenImportFixture.class));
    assertTrue(result.hasViolation(), "the rule must catch data -> train");
    String report = String.join("\n", result.getFailureReport().getDetails());
    assertTrue(report.contains(ForbiddenImportFixture.class.getName()) && report.contains("org.cnnspark.driver.train.TrainingDivergedException"),
        report);
  }

  @Test
  void theArchitectureDocShowsThisTable() throws IOException {
    Map<String, List<String>> doc = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of("../docs/architecture.md"))) {
      String[] cells = line.split("\\|");
      // rows of the may-import table: | `pkg` | a, b, c |
      if (cells.length == 3 && cells[1].trim().matches("`\\w+`") && !cells[2].isBlank()) {
        List<String> allowed = new ArrayList<>();
        for (String a : cells[2].split(",")) {
          allowed.add(a.replace("`", "").trim());
        }
        doc.put(cells[1].trim().replace("`", ""), allowed);
      }
    }
    assertEquals(MAY_IMPORT, doc, "docs/architecture.md's table and LayeringTest.MAY_IMPORT must say the same");
  }
}
