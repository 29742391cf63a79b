package org.cnnspark.driver.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cnnspark.driver.spark.HadoopFiles;
import org.cnnspark.driver.train.TrainState;
import org.cnnspark.engine.io.ModelFile;

/**
 * The training checkpoints of a model directory: {@code MODEL_DIR/checkpoints/round-NNNNNN.cnn},
 * where NNNNNN counts the rounds done. Each is one engine model file (magic, version, CRC32C over
 * every byte) holding the averaged parameters, optimizer state and step count; its provenance
 * adds the position (epoch and round to run next), the run's options as JSON and the metrics
 * lines so far, so the checksum covers all of it. An outer rule with momentum adds the driver's
 * outer momentum buffer after the optimizer state, and the entry {@value #OUTER_STATE} saying how
 * many of that section's floats it takes; without the entry (every checkpoint of a build before
 * outer rules, and every run without outer momentum) the section is the optimizer's alone. So a
 * checkpoint stays one checked engine model file of the format every build reads, and only
 * checkpoints carry the outer state: it continues a run, it is no part of a model. Written through
 * Hadoop's FileSystem API to a
 * hidden temporary name, then renamed: a file with the checkpoint name is always complete, and a
 * run killed mid-write leaves only a hidden temporary, removed by the next run.
 *
 * <p>Reading takes the newest checkpoint that passes its checks; one that fails (corrupted on
 * disk, or emptied by a machine crash before the data reached the disk) is reported as a warning
 * naming the file and the previous one is used: training is deterministic, so resuming from an
 * earlier round ends with the same bits, only later.
 */
public final class Checkpoints {
  public static final String DIR = "checkpoints";
  static final String EPOCH = "checkpoint_epoch";
  static final String ROUND = "checkpoint_round";
  static final String OPTIONS = "checkpoint_options";
  static final String METRICS = "checkpoint_metrics";
  static final String OUTER_STATE = "checkpoint_outer_state";
  private static final Pattern NAME = Pattern.compile("round-(\\d{6,})\\.cnn");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FileSystem fs;
  private final Path dir;
  private final Configuration conf;

  public Checkpoints(String modelDir, Configuration conf) throws IOException {
    this.dir = new Path(modelDir, DIR);
    this.fs = HadoopFiles.fs(dir, conf);
    this.conf = conf;
  }

  /**
   * A checkpoint as read back.
   *
   * @param options the run's options (name without "--" to value), compared on resume
   * @param metrics the metrics.jsonl lines of the rounds done
   */
  public record Checkpoint(String file, TrainState state, ModelFile model, Map<String, String> options,
      List<String> metrics) {}

  /** Where checkpoint number {@code rounds} goes. */
  public String file(long rounds) {
    return new Path(dir, String.format("round-%06d.cnn", rounds)).toString();
  }

  /**
   * Writes a checkpoint of {@code state} (after {@code rounds} rounds), then deletes all but the
   * newest {@code keep} at or before it, and every later one (left by an earlier run of this
   * directory: they do not continue this run). Returns the file written.
   *
   * @param model the run's architecture, input shape, classes, optimizer settings and provenance;
   *     its parameters are replaced by the state's
   */
  public String save(ModelFile model, TrainState state, long rounds, Map<String, String> options,
      List<String> metrics, int keep) throws IOException {
    Map<String, String> prov = new HashMap<>(model.provenance());
    prov.put(EPOCH, Integer.toString(state.epoch()));
    prov.put(ROUND, Integer.toString(state.round()));
    prov.put(OPTIONS, JSON.writeValueAsString(new TreeMap<>(options)));
    prov.put(METRICS, String.join("\n", metrics));
    float[] states = state.state();
    if (state.outer().length > 0) {
      prov.put(OUTER_STATE, Integer.toString(state.outer().length));
      states = Arrays.copyOf(state.state(), state.state().length + state.outer().length);
      System.arraycopy(state.outer(), 0, states, state.state().length, state.outer().length);
    }
    ModelFile checkpoint = new ModelFile(model.spec(), model.inputShape(), model.normalization(), model.classNames(),
        prov, model.optimizer(), state.steps(), state.params(), states);
    String file = file(rounds);
    HadoopFiles.write(file, conf, checkpoint::write);
    List<Long> all = numbers();
    int kept = 0;
    for (int i = all.size() - 1; i >= 0; i--) {
      long n = all.get(i);
      if (n > rounds || ++kept > keep) {
        fs.delete(new Path(file(n)), false);
      }
    }
    return file;
  }

  /**
   * The newest readable checkpoint, or empty when there is none. Unreadable ones are skipped with
   * a warning on {@code warnings}; when every one fails, the error names each file and why.
   */
  public Optional<Checkpoint> latest(PrintStream warnings) throws IOException {
    List<Long> all = numbers();
    List<String> failures = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0; i--) {
      String file = file(all.get(i));
      try {
        Checkpoint c = read(file);
        for (String f : failures) {
          warnings.println("cnn-spark: warning: skipped " + f + "; using the previous checkpoint " + file);
        }
        return Optional.of(c);
      } catch (IllegalArgumentException e) {
        failures.add(e.getMessage());
      }
    }
    if (!failures.isEmpty()) {
      throw new IllegalArgumentException("no checkpoint in " + dir + " can be read: " + String.join("; ", failures)
          + ". Delete " + dir + " to start the run over");
    }
    return Optional.empty();
  }

  /** Reads and checks one checkpoint file; IllegalArgumentException naming the file when it is bad. */
  public Checkpoint read(String file) throws IOException {
    ModelFile m;
    try (var in = fs.open(new Path(file))) {
      m = ModelFile.read(in, file);
    }
    Map<String, String> p = m.provenance();
    if (!p.containsKey(EPOCH) || !p.containsKey(ROUND) || !p.containsKey(OPTIONS) || !p.containsKey(METRICS)) {
      throw new IllegalArgumentException("checkpoint " + file + " is a model file without the checkpoint entries "
          + "(" + EPOCH + ", " + ROUND + ", " + OPTIONS + ", " + METRICS + ") in its provenance");
    }
    Map<String, String> options;
    try {
      options = JSON.readValue(p.get(OPTIONS), new TypeReference<TreeMap<String, String>>() {});
      float[] states = m.optimizerState();
      int outer = Integer.parseInt(p.getOrDefault(OUTER_STATE, "0"));
      if (outer < 0 || outer > states.length) {
        throw new IllegalArgumentException("checkpoint " + file + " declares " + outer + " outer state values in a "
            + "section of " + states.length + " (" + OUTER_STATE + ")");
      }
      TrainState state = new TrainState(Integer.parseInt(p.get(EPOCH)), Integer.parseInt(p.get(ROUND)), m.params(),
          Arrays.copyOf(states, states.length - outer), m.optimizerSteps(),
          Arrays.copyOfRange(states, states.length - outer, states.length));
      String lines = p.get(METRICS);
      return new Checkpoint(file, state, m, options, lines.isEmpty() ? List.of() : List.of(lines.split("\n")));
    } catch (JsonProcessingException | NumberFormatException e) {
      throw new IllegalArgumentException("checkpoint " + file + " has a malformed checkpoint entry: " + e.getMessage());
    }
  }

  /**
   * The options that differ between a checkpoint's run and this one, as "--name now (checkpoint:
   * then)"; options in {@code free} may differ. Empty when the run may continue the checkpoint.
   */
  public static List<String> differences(Map<String, String> saved, Map<String, String> now, List<String> free) {
    List<String> out = new ArrayList<>();
    TreeSet<String> names = new TreeSet<>(saved.keySet());
    names.addAll(now.keySet());
    for (String name : names) {
      String a = saved.get(name);
      String b = now.get(name);
      if (!free.contains(name) && !java.util.Objects.equals(a, b)) {
        out.add("--" + name + " " + (b == null ? "(not given)" : b) + " (checkpoint: " + (a == null ? "not given" : a)
            + ")");
      }
    }
    return out;
  }

  /** Removes temporaries a killed run left behind (hidden names; never a complete checkpoint). */
  public void removeTemporaries() throws IOException {
    if (!fs.exists(dir)) {
      return;
    }
    for (FileStatus f : fs.listStatus(dir)) {
      String name = f.getPath().getName();
      if (name.startsWith(".round-") && name.contains(".tmp-")) {
        fs.delete(f.getPath(), false);
      }
    }
  }

  /** Checkpoint numbers present, ascending. */
  private List<Long> numbers() throws IOException {
    List<Long> out = new ArrayList<>();
    if (!fs.exists(dir)) {
      return out;
    }
    for (FileStatus f : fs.listStatus(dir)) {
      Matcher m = NAME.matcher(f.getPath().getName());
      if (f.isFile() && m.matches()) {
        out.add(Long.parseLong(m.group(1)));
      }
    }
    out.sort(null);
    return out;
  }
}
