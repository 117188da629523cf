package dev.kagami.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter: Adam with weight decay decoupled from the gradient) over parameter groups,
 * each with its own learning rate and decay, as the method needs: the backbone at the base rate, ArcMargin's
 * class proxies at their own rate (method.md). Before each update the gradients are clipped to an L2 norm
 * ({@code maxGradNorm}, as {@code torch.nn.utils.clip_grad_norm_}): of all groups together
 * ({@link Clipping#GLOBAL}) or of each group on its own ({@link Clipping#PER_GROUP}, as the method's authors clip
 * the backbone and the loss's proxies separately); the learning rate follows a {@link CosineSchedule}.
 * {@link #decaySplit} divides a tower's parameters into those that decay and those that do not (LayerNorm,
 * biases, embeddings).
 *
 * <p>Update of a parameter p with gradient g at step t (1-based), rate lr, decay wd:
 * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps) + lr wd p}
 * (PyTorch's AdamW applies the decay first, {@code p *= 1 - lr wd}; the same to first order, and exactly the same
 * here: the decay term uses p before the step).
 */
public final class AdamW implements AutoCloseable {

  /**
   * Parameters sharing a learning rate and weight decay; {@code clipSet} names the groups whose gradients
   * {@link Clipping#PER_GROUP} clips together (a tower split by {@link #decaySplit} is one set).
   */
  public record Group(String name, List<NDArray> parameters, double learningRate, double weightDecay, String clipSet) {

    public Group {
      parameters = List.copyOf(parameters);
      if (learningRate < 0 || weightDecay < 0) {
        throw new IllegalArgumentException("group " + name + ": negative learning rate or decay");
      }
    }

    /** A group that is its own clipping set. */
    public Group(String name, List<NDArray> parameters, double learningRate, double weightDecay) {
      this(name, parameters, learningRate, weightDecay, name);
    }
  }

  /** What one step did: the global gradient norm before clipping, and the scheduled factor used. */
  public record StepInfo(int step, double gradNorm, double lrFactor) {}

  /** Over what the gradient norm is clipped. */
  public enum Clipping {
    /** All groups' gradients together, one norm. */
    GLOBAL,
    /** Each group's gradients by that group's own norm. */
    PER_GROUP
  }

  /**
   * A tower's trainable parameters as two groups at one learning rate: {@code name} with {@code weightDecay}
   * and {@code name + "-no-decay"} without, which holds LayerNorm weights, biases and embeddings (the usual
   * exemption: decaying them pulls scales and offsets to 0, which regularises nothing). Either may be empty.
   */
  public static List<Group> decaySplit(String name, List<String> names, List<NDArray> parameters, double learningRate,
      double weightDecay) {
    if (names.size() != parameters.size()) {
      throw new IllegalArgumentException(names.size() + " names for " + parameters.size() + " parameters");
    }
    List<NDArray> decay = new ArrayList<>();
    List<NDArray> keep = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      (decays(names.get(i)) ? decay : keep).add(parameters.get(i));
    }
    return List.of(new Group(name, decay, learningRate, weightDecay, name),
        new Group(name + "-no-decay", keep, learningRate, 0, name));
  }

  /** Whether weight decay applies to the parameter so named: not to LayerNorm, biases and embeddings. */
  public static boolean decays(String parameterName) {
    String leaf = parameterName.substring(parameterName.lastIndexOf('.') + 1);
    return !(leaf.equals("bias") || parameterName.contains("ln_") || parameterName.contains("embedding")
        || leaf.equals("logit_scale"));
  }

  private final List<Group> groups;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double maxGradNorm;
  private final Clipping clipping;
  private final CosineSchedule schedule;
  private final NDManager state;
  private final Map<NDArray, NDArray[]> moments = new IdentityHashMap<>();
  private int step;

  /**
   * @param maxGradNorm clip the global gradient norm to this; {@code Double.POSITIVE_INFINITY} for no clipping
   */
  public AdamW(NDManager manager, List<Group> groups, double beta1, double beta2, double eps, double maxGradNorm,
      CosineSchedule schedule) {
    this(manager, groups, beta1, beta2, eps, maxGradNorm, Clipping.GLOBAL, schedule);
  }

  public AdamW(NDManager manager, List<Group> groups, double beta1, double beta2, double eps, double maxGradNorm,
      Clipping clipping, CosineSchedule schedule) {
    if (maxGradNorm <= 0) {
      throw new IllegalArgumentException("max gradient norm must be positive");
    }
    this.groups = List.copyOf(groups);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.maxGradNorm = maxGradNorm;
    this.clipping = clipping;
    this.schedule = schedule;
    this.state = manager.newSubManager();
  }

  /** The defaults of the method's runs: betas (0.9, 0.999), eps 1e-8, clipping at norm 1. */
  public static AdamW standard(NDManager manager, List<Group> groups, CosineSchedule schedule) {
    return new AdamW(manager, groups, 0.9, 0.999, 1e-8, 1.0, schedule);
  }

  /** The learning rate the next step will use for {@code group}. */
  public double learningRate(Group group) {
    return group.learningRate() * schedule.factor(step);
  }

  /**
   * Applies one update from the parameters' current gradients, then zeroes them. Runs with PyTorch's grad
   * mode off (in-place updates of leaves that require gradients are refused otherwise): the mode is per
   * thread, and a thread that never ran DJL's engine start-up has it on.
   */
  public StepInfo step() {
    boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    try {
      return update();
    } finally {
      ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
    }
  }

  private StepInfo update() {
    List<NDArray> grads = new ArrayList<>();
    double[] groupSq = new double[groups.size()];
    double sq = 0;
    for (int gi = 0; gi < groups.size(); gi++) {
      for (NDArray p : groups.get(gi).parameters()) {
        // a new handle on the parameter's gradient, in the parameter's manager: it and every intermediate
        // here are closed, or each step would leak native memory for the life of the model
        NDArray grad = p.getGradient();
        grads.add(grad);
        try (NDArray squared = grad.square(); NDArray sum = squared.sum()) {
          groupSq[gi] += sum.getFloat();
        }
      }
      sq += groupSq[gi];
    }
    double norm = Math.sqrt(sq);
    Map<String, Double> setSq = new java.util.HashMap<>();
    for (int gi = 0; gi < groups.size(); gi++) {
      setSq.merge(groups.get(gi).clipSet(), groupSq[gi], Double::sum);
    }
    double[] clips = new double[groups.size()];
    for (int gi = 0; gi < groups.size(); gi++) {
      double n = clipping == Clipping.GLOBAL ? norm : Math.sqrt(setSq.get(groups.get(gi).clipSet()));
      clips[gi] = n > maxGradNorm ? maxGradNorm / (n + 1e-6) : 1.0;
    }
    double factor = schedule.factor(step);
    step++;
    double bias1 = 1 - Math.pow(beta1, step);
    double bias2 = 1 - Math.pow(beta2, step);
    int i = 0;
    for (int gi = 0; gi < groups.size(); gi++) {
      Group g = groups.get(gi);
      double clip = clips[gi];
      double lr = g.learningRate() * factor;
      for (NDArray p : g.parameters()) {
        NDArray grad = grads.get(i++);
        NDArray[] mv = moments.computeIfAbsent(p, k -> new NDArray[] {state.zeros(k.getShape(), k.getDataType()),
            state.zeros(k.getShape(), k.getDataType())});
        try (NDManager tmp = state.newSubManager()) {
          NDArray gc = grad.mul(clip);
          gc.attach(tmp);
          // results live in the manager of the array an operation is called on: every intermediate is
          // made from an array in tmp, so closing tmp frees them all (only the new moments are kept)
          NDArray m1 = mv[0].mul(beta1);
          m1.attach(tmp);
          NDArray m = m1.add(gc.mul(1 - beta1));
          NDArray v1 = mv[1].mul(beta2);
          v1.attach(tmp);
          NDArray v = v1.add(gc.square().mul(1 - beta2));
          NDArray update = m.div(bias1).div(v.div(bias2).sqrt().add(eps)).mul(lr);
          m.attach(state);
          v.attach(state);
          mv[0].close();
          mv[1].close();
          mv[0] = m;
          mv[1] = v;
          NDArray decay = p.mul(lr * g.weightDecay());
          decay.attach(tmp);
          p.subi(update.add(decay));
        }
        grad.subi(grad); // zero for the next backward pass
        grad.close(); // the handle only: the gradient itself stays with the parameter
      }
    }
    return new StepInfo(step, norm, factor);
  }

  /**
   * Writes the optimiser's state (step count, and each parameter's moments in group order) so that a run
   * can resume where it stopped. Parameter values are not included: the caller saves them.
   */
  public void writeState(java.io.DataOutputStream out) throws java.io.IOException {
    out.writeInt(STATE_MAGIC);
    out.writeInt(step);
    for (Group g : groups) {
      for (NDArray p : g.parameters()) {
        NDArray[] mv = moments.get(p);
        long n = p.getShape().size();
        out.writeLong(n);
        for (int k = 0; k < 2; k++) {
          float[] values = mv == null ? new float[(int) n]
              : mv[k].toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
          for (float f : values) {
            out.writeFloat(f);
          }
        }
      }
    }
  }

  /** Restores what {@link #writeState} wrote, for the same groups and parameter shapes. */
  public void readState(java.io.DataInputStream in) throws java.io.IOException {
    int magic = in.readInt();
    if (magic == STATE_MAGIC_V1) {
      throw new java.io.IOException("the optimiser state was written before parameters were grouped by weight decay; "
          + "this run cannot resume from it (start it again)");
    }
    if (magic != STATE_MAGIC) {
      throw new java.io.IOException("not an AdamW state");
    }
    int savedStep = in.readInt();
    for (Group g : groups) {
      for (NDArray p : g.parameters()) {
        long n = in.readLong();
        if (n != p.getShape().size()) {
          throw new java.io.IOException("AdamW state of group " + g.name() + " has " + n + " values for a parameter of "
              + p.getShape().size());
        }
        NDArray[] mv = new NDArray[2];
        for (int k = 0; k < 2; k++) {
          float[] values = new float[(int) n];
          for (int i = 0; i < n; i++) {
            values[i] = in.readFloat();
          }
          mv[k] = state.create(values, p.getShape()).toType(p.getDataType(), false);
        }
        NDArray[] old = moments.put(p, mv);
        if (old != null) {
          old[0].close();
          old[1].close();
        }
      }
    }
    step = savedStep;
  }

  /** The state's layout: its groups in order, as the trainers make them since the decay split ("KAD2"). */
  private static final int STATE_MAGIC = 0x4B414432;
  /** The layout before the decay split ("KADM"): its parameters are in another order. */
  private static final int STATE_MAGIC_V1 = 0x4B41444D;

  /** Steps taken so far. */
  public int steps() {
    return step;
  }

  @Override
  public void close() {
    state.close();
  }
}
