package dev.kagami.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class RealignStageTest {

  static final List<String> TEXT = List.of("token_embedding.weight", "positional_embedding", "transformer.resblocks.0.ln_1.weight",
      "transformer.resblocks.1.mlp.c_fc.weight", "transformer.resblocks.2.attn.in_proj_weight", "ln_final.weight",
      "text_projection");

  static RunSpec spec(RunSpec.Trainable imageStage, RunSpec.Trainable realign, int realignBlocks, boolean embeddings) {
    return new RunSpec("m", "1", "d", RunSpec.Method.TWO_SFT, imageStage, 3, 1, 8, 1e-4, 1, 1e-5, 1, 0, 0,
        RunSpec.CaptionSource.DATASET, 20, 0.27, 0, "2", 1e-3, realign, realignBlocks, 0, embeddings);
  }

  static List<String> trained(RunSpec s) {
    Predicate<String> p = RealignStage.selector(s).apply(TEXT);
    return TEXT.stream().filter(p).toList();
  }

  @Test
  void re_alignment_trains_its_own_setting_not_the_image_stages() {
    assertThat(trained(spec(RunSpec.Trainable.ALL, RunSpec.Trainable.LAST_BLOCKS, 1, false)))
        .containsExactly("transformer.resblocks.2.attn.in_proj_weight", "ln_final.weight", "text_projection");
    assertThat(trained(spec(RunSpec.Trainable.PROJECTION, RunSpec.Trainable.PROJECTION, 1, false))).containsExactly("text_projection");
  }

  @Test
  void token_and_positional_embeddings_stay_frozen_unless_asked_for() {
    assertThat(trained(spec(RunSpec.Trainable.ALL, RunSpec.Trainable.ALL, 1, false))).doesNotContain("token_embedding.weight",
        "positional_embedding").contains("transformer.resblocks.0.ln_1.weight", "text_projection");
    assertThat(trained(spec(RunSpec.Trainable.ALL, RunSpec.Trainable.ALL, 1, true))).containsExactlyElementsOf(TEXT);
  }

  @Test
  void a_spec_stored_before_the_stage_settings_keeps_what_it_did() {
    RunSpec old = new RunSpec("m", "1", "d", RunSpec.Method.TWO_SFT, RunSpec.Trainable.LAST_BLOCKS, 3, 1, 8, 1e-4, 1, 1e-5, 1, 0, 0,
        RunSpec.CaptionSource.DATASET, 20, 0.27, 0, "2");
    assertThat(old.proxyLearningRate()).isEqualTo(1e-2);
    assertThat(old.realignTrainable()).isEqualTo(RunSpec.Trainable.LAST_BLOCKS);
    assertThat(old.realignLastBlocks()).isEqualTo(3);
    assertThat(old.realignWarmupSteps()).isZero();
  }

  static dev.kagami.dataset.DatasetItem item(String id, String label, String... captions) {
    return new dev.kagami.dataset.DatasetItem(id, label, List.of(captions), java.util.Map.of(),
        new dev.kagami.dataset.ImageSource.File(java.nio.file.Path.of(id)));
  }

  @Test
  void captions_that_only_name_classes_do_not_choose_by_text_to_image_recall() {
    assertThat(RealignStage.captionsNameImages(List.of(item("a", "cat", "a cat"), item("b", "cat", "a cat"),
        item("c", "dog", "a dog")))).isFalse();
    assertThat(RealignStage.captionsNameImages(List.of(item("a", "cat", "a grey cat asleep"), item("b", "cat", "a cat on a mat"),
        item("c", "dog", "a dog")))).isTrue();
  }
}
