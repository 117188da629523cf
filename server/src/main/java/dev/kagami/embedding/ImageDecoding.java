package dev.kagami.embedding;

import dev.kagami.config.KagamiConfig;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The one image decoder of the server, with the limits of {@code kagami.limits}: Embed, imports and runs share it. */
@ApplicationScoped
public class ImageDecoding {

  @Produces
  @Singleton
  ImageDecoder decoder(KagamiConfig config) {
    return new ImageDecoder(new ImageLimits(config.limits().maxImageBytes(), config.limits().maxImagePixels()));
  }
}
