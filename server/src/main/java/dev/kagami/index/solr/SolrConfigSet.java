package dev.kagami.index.solr;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The configset Kagami uploads for each vector dimension: {@code schema.xml} and {@code solrconfig.xml},
 * kept as resources beside this class; the schema's {@code ${dimension}}, {@code ${hnswM}} and
 * {@code ${hnswBeamWidth}} are filled in here (Solr's own {@code ${solr.*}} properties are left to Solr).
 */
final class SolrConfigSet {

  private SolrConfigSet() {}

  static byte[] zip(int dimension, int m, int beam) {
    String schema = resource("schema.xml").replace("${dimension}", Integer.toString(dimension))
        .replace("${hnswM}", Integer.toString(m)).replace("${hnswBeamWidth}", Integer.toString(beam));
    String solrconfig = resource("solrconfig.xml");
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
        zip.putNextEntry(new ZipEntry("schema.xml"));
        zip.write(schema.getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
        zip.putNextEntry(new ZipEntry("solrconfig.xml"));
        zip.write(solrconfig.getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory zip failed", e);
    }
  }

  static String resource(String name) {
    try (InputStream in = SolrConfigSet.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the configset resource " + name + " is missing from the server jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
