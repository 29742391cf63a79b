package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The splits' assignment as a pure function of (n, w, seed, index), without Spark. */
class DataSplitTest {
  /** Partition of every record 0..n-1. */
  static int[] assign(DataSplit split, long n, int w, long seed) {
    Assignment a = split.assignment(n, w, seed);
    int[] to = new int[(int) n];
    for (int g = 0; g < n; g++) {
      to[g] = a.partition(g);
    }
    return to;
  }

  @Test
  void mixedGivesEveryPartitionOneRecordOfEveryGroupInIndexOrder() {
    for (int w : new int[] {1, 2, 3, 4, 7, 16}) {
      for (long n : new long[] {0, 1, w - 1, w, 5L * w, 5L * w + 3, 1000}) {
        Assignment a = DataSplit.MIXED.assignment(n, w, 42);
        int[] to = assign(DataSplit.MIXED, n, w, 42);
        long[] seen = new long[w];
        for (int g = 0; g < n; g++) {
          int p = to[g];
          assertTrue(p >= 0 && p < w, "partition " + p);
          // Records reach p in index order, one per group: p's k-th record is from group k.
          assertEquals(seen[p], g / w, "w=" + w + " n=" + n + " record " + g + " is the " + seen[p] + "-th of " + p);
          assertEquals(seen[p], a.position(g));
          seen[p]++;
        }
        long[] bounds = ReadSlice.bounds(n, w);
        for (int p = 0; p < w; p++) {
          assertEquals(bounds[p + 1] - bounds[p], seen[p], "the contiguous split's sizes: first n % w one more");
          assertEquals(seen[p], a.size(p));
        }
      }
    }
  }

  @Test
  void contiguousIsTheBalancedRanges() {
    long[] bounds = ReadSlice.bounds(103, 4);
    Assignment a = DataSplit.CONTIGUOUS.assignment(103, 4, 42);
    for (int g = 0; g < 103; g++) {
      int p = a.partition(g);
      assertTrue(bounds[p] <= g && g < bounds[p + 1]);
      assertEquals(g - bounds[p], a.position(g));
    }
  }

  @Test
  void oneWorkerIsTheIdentity() {
    Assignment a = DataSplit.MIXED.assignment(50, 1, 42);
    for (int g = 0; g < 50; g++) {
      assertEquals(0, a.partition(g));
      assertEquals(g, a.position(g));
    }
  }

  @Test
  void theSameSeedGivesTheSameAssignmentAndAnotherSeedAnother() {
    assertArrayEquals(assign(DataSplit.MIXED, 1000, 4, 1), assign(DataSplit.MIXED, 1000, 4, 1));
    assertFalse(Arrays.equals(assign(DataSplit.MIXED, 1000, 4, 1), assign(DataSplit.MIXED, 1000, 4, 2)));
    // A fresh instance per lookup (no cached group) agrees with one walked in order.
    int[] walked = assign(DataSplit.MIXED, 1000, 4, 1);
    for (int g = 999; g >= 0; g -= 37) {
      assertEquals(walked[g], DataSplit.MIXED.assignment(1000, 4, 1).partition(g));
    }
  }

  /** Every 4th record the same class (a periodic file): mixed does not send them all to one partition. */
  @Test
  void periodicPatternsAreBroken() {
    int w = 4;
    int[] to = assign(DataSplit.MIXED, 400, w, 7);
    int[] classZero = new int[w];
    for (int g = 0; g < 400; g += w) {
      classZero[to[g]]++;
    }
    for (int p = 0; p < w; p++) {
      assertTrue(classZero[p] > 10 && classZero[p] < 40, "class 0 per partition: " + Arrays.toString(classZero));
    }
    Set<String> perms = new HashSet<>();
    for (int k = 0; k < 100; k++) {
      perms.add(Arrays.toString(Assignment.Mixed.permutation(7, k, w)));
    }
    assertTrue(perms.size() > 12, "groups draw different permutations: " + perms.size() + " of 24");
  }

  @Test
  void namesParseInAnyCaseAndOthersAreRefused() {
    assertEquals(Optional.of(DataSplit.MIXED), DataSplit.find(" Mixed "));
    assertEquals(Optional.of(DataSplit.CONTIGUOUS), DataSplit.find("contiguous"));
    assertEquals(Optional.empty(), DataSplit.find("zigzag"));
    assertEquals(Optional.empty(), DataSplit.find(null));
    assertEquals("contiguous|mixed", DataSplit.names("|"));
  }

  @Test
  void optionsWithoutASplitAreContiguous() {
    assertEquals(DataSplit.CONTIGUOUS, DataOptions.of("x", 2).split());
    assertEquals(DataSplit.CONTIGUOUS, new DataOptions("x", null, null, null, false, 2, null, null, null, false).split());
    DataOptions mixed = DataOptions.of("x", 2).withSplit(DataSplit.MIXED, 9).withNumClasses(3);
    assertEquals(DataSplit.MIXED, mixed.split());
    assertEquals(9, mixed.splitSeed());
  }
}
