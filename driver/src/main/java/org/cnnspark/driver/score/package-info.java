/**
 * Scoring with trained parameters: {@link org.cnnspark.driver.score.Scoring} (class probabilities
 * of cached image blocks as CSV lines, in record order) and {@link org.cnnspark.driver.score.ScoreRows}
 * (prediction columns appended to DataFrame rows). Runs the engine through {@code train}'s engine
 * cache; must not depend on storage, the Kryo settings or the entry points.
 */
package org.cnnspark.driver.score;
