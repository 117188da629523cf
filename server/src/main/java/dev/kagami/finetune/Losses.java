package dev.kagami.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The training losses of Schall et al. (see ../shared/reference/method.md, "Losses"), written with NDArray
 * operations so that the engine's autograd differentiates them. Inputs are batches of embeddings; every
 * function L2-normalises what the definition normalises.
 */
public final class Losses {

  /** ArcMargin's scale s and margin m (Schall et al.: s = 30, m = 0.1). */
  public static final double S = 30.0;
  public static final double M = 0.1;
  /** InfoNCE's logit scale is clamped at 100 (ln 100 for the learnable log scale), as in CLIP. */
  public static final double MAX_LOGIT_SCALE = 100.0;

  private Losses() {}

  /** Rows scaled to unit L2 norm. */
  public static NDArray l2normalize(NDArray x) {
    return x.div(x.norm(new int[] {1}, true).maximum(1e-12));
  }

  /** Mean cross-entropy of {@code logits} [N, C] against soft targets {@code targets} [N, C] (rows sum to 1). */
  static NDArray softCrossEntropy(NDArray logits, NDArray targets) {
    return logits.logSoftmax(1).mul(targets).sum(new int[] {1}).neg().mean();
  }

  static NDArray oneHot(NDManager m, int[] labels, int classes, DataType type) {
    float[] oh = new float[labels.length * classes];
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("label " + labels[i] + " outside 0.." + (classes - 1));
      }
      oh[i * classes + labels[i]] = 1f;
    }
    return m.create(oh, new Shape(labels.length, classes)).toType(type, false);
  }

  /**
   * Symmetric InfoNCE (CLIP's contrastive loss): image i and text i are a pair; logits are
   * {@code exp(logScale) * cos(image_i, text_j)} with the scale clamped at 100; the loss is the mean of
   * the image-to-text and text-to-image cross-entropies.
   */
  public static NDArray infoNce(NDArray images, NDArray texts, NDArray logScale) {
    int n = (int) images.getShape().get(0);
    int[] diag = new int[n];
    for (int i = 0; i < n; i++) {
      diag[i] = i;
    }
    return infoNce(images, texts, logScale, diag);
  }

  /**
   * Symmetric InfoNCE where pairs of the same group are all positives (UniCL-style): image i and text j
   * are a positive pair when {@code groups[i] == groups[j]}, with soft targets {@code 1/|P_i|} in both
   * directions. With every group distinct this is {@link #infoNce(NDArray, NDArray, NDArray)}; with
   * class-template captions it stops pushing an image away from its class-mates' captions.
   */
  public static NDArray infoNce(NDArray images, NDArray texts, NDArray logScale, int[] groups) {
    NDArray a = l2normalize(images);
    NDArray b = l2normalize(texts);
    NDArray scale = logScale.minimum(Math.log(MAX_LOGIT_SCALE)).exp();
    NDArray logits = a.matMul(b.transpose()).mul(scale);
    int n = groups.length;
    float[] t = new float[n * n];
    for (int i = 0; i < n; i++) {
      int count = 0;
      for (int j = 0; j < n; j++) {
        count += groups[i] == groups[j] ? 1 : 0;
      }
      for (int j = 0; j < n; j++) {
        t[i * n + j] = groups[i] == groups[j] ? 1f / count : 0f;
      }
    }
    // the same-group relation is symmetric, so the targets serve both directions
    NDArray targets = images.getManager().create(t, new Shape(n, n)).toType(logits.getDataType(), false);
    return softCrossEntropy(logits, targets).add(softCrossEntropy(logits.transpose(), targets)).div(2);
  }

  /** {@code cos(theta + m)} from {@code cos theta}, without acos: {@code cos*cos(m) - sin*sin(m)}. */
  static NDArray cosPlusMargin(NDArray cos, double m) {
    NDArray sin = cos.square().neg().add(1).maximum(1e-12).sqrt();
    return cos.mul(Math.cos(m)).sub(sin.mul(Math.sin(m)));
  }

  /**
   * ArcMargin (ArcFace-style, one learnable proxy per class): with x the normalised embeddings and W the
   * normalised proxies, the true class's logit is {@code s * phi(theta_y)}, {@code phi = cos(theta + m)} when
   * {@code cos theta > cos(pi - m)}, else {@code cos theta - m * sin(pi - m)}; other classes
   * {@code s * cos theta_j}; cross-entropy.
   */
  public static NDArray arcMargin(NDArray embeddings, NDArray proxies, int[] labels, double s, double m) {
    NDArray cos = l2normalize(embeddings).matMul(l2normalize(proxies).transpose());
    NDArray phiMargin = cosPlusMargin(cos, m);
    NDArray fallback = cos.sub(m * Math.sin(Math.PI - m));
    NDArray phi = NDArrays.where(cos.gt(Math.cos(Math.PI - m)), phiMargin, fallback);
    NDArray onehot = oneHot(embeddings.getManager(), labels, (int) proxies.getShape().get(0), cos.getDataType());
    NDArray logits = onehot.mul(phi).add(onehot.neg().add(1).mul(cos)).mul(s);
    return softCrossEntropy(logits, onehot);
  }

  /**
   * Multi-Caption ArcMargin: each image i against every caption k of the batch (frozen text embeddings
   * t_k); for the image's own captions P_i the logit is {@code s * cos(theta_ik + m)}, otherwise
   * {@code s * cos theta_ik}; soft target {@code 1/|P_i|} on P_i. With {@code oddityWeight > 0}, adds the
   * authors' code's extra term {@code oddityWeight * max_k[-(1 - t_ik) * log softmax(z_i)_k]}. The mean is
   * over every image of the batch, as in the authors' code: an image without captions has no target, so its
   * first term is 0 (and its extra term, when on, is its largest {@code -log softmax}); it still counts in
   * the batch size, so a batch with fewer captioned images pulls less.
   *
   * @param positives [N, K] with 1 where caption k belongs to image i
   */
  public static NDArray multiCaptionArcMargin(NDArray embeddings, NDArray captions, NDArray positives, double s, double m,
      double oddityWeight) {
    NDArray cos = l2normalize(embeddings).matMul(l2normalize(captions).transpose());
    NDArray p = positives.toType(cos.getDataType(), false);
    NDArray logits = p.mul(cosPlusMargin(cos, m)).add(p.neg().add(1).mul(cos)).mul(s);
    NDArray counts = p.sum(new int[] {1}, true);
    NDArray targets = p.div(counts.maximum(1));
    NDArray logp = logits.logSoftmax(1);
    NDArray perImage = logp.mul(targets).sum(new int[] {1}, true).neg();
    if (oddityWeight > 0) {
      NDArray odd = logp.mul(targets.neg().add(1)).neg().max(new int[] {1}, true);
      perImage = perImage.add(odd.mul(oddityWeight));
    }
    return perImage.mean();
  }
}
