package org.cnnspark.driver.data;

/**
 * A planted break of the package rules, for LayeringTest only: data may not use train, and this
 * class does so through a fully qualified name, with no import line to give it away.
 */
public final class ForbiddenImportFixture {
  private ForbiddenImportFixture() {}

  public static String message() {
    return new org.cnnspark.driver.train.TrainingDivergedException("planted").getMessage();
  }
}
