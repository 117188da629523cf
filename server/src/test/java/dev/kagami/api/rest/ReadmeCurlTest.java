package dev.kagami.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.testing.Http;
import dev.kagami.testing.Images;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's curl block (under "## Admin REST API") against the test server without curl: each
 * line's method, path, header, JSON body and form fields are read as curl reads them; {@code JOB_ID} is the
 * id of the job the last POST answered (its events are read to the end before the next line, as
 * {@code curl -N} would show them); {@code shop.zip} is a zip of two class folders made here. Every line must
 * answer 2xx, so a renamed route or field in the README fails here.
 */
@QuarkusTest
class ReadmeCurlTest {

  static final Pattern URL = Pattern.compile("'?localhost:8080(/[^'\\s]*)'?");
  static final Pattern BODY = Pattern.compile("-d '([^']*)'");
  static final Pattern FORM = Pattern.compile("-F (\\w+)=(@?)(\\S+)");

  static List<String> readmeBlock() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
    int start = lines.indexOf("## Admin REST API");
    assertThat(start).as("README has the section").isPositive();
    int open = lines.subList(start, lines.size()).indexOf("```sh") + start;
    int close = lines.subList(open + 1, lines.size()).indexOf("```") + open + 1;
    return lines.subList(open + 1, close);
  }

  @Test
  void every_curl_line_of_the_readme_answers_2xx() throws Exception {
    ObjectMapper json = new ObjectMapper();
    String jobId = null;
    int run = 0;
    for (String line : readmeBlock()) {
      assertThat(line).startsWith("curl ");
      Matcher u = URL.matcher(line);
      assertThat(u.find()).as(line).isTrue();
      String path = u.group(1);
      if (path.contains("JOB_ID")) {
        assertThat(jobId).as("a job was started before " + line).isNotNull();
        path = path.replace("JOB_ID", jobId);
      }
      HttpRequest.Builder req = HttpRequest.newBuilder(Http.uri(path)).timeout(java.time.Duration.ofSeconds(120));
      Matcher body = BODY.matcher(line);
      Matcher form = FORM.matcher(line);
      if (body.find()) {
        req.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.group(1)));
      } else if (form.find()) {
        String boundary = "readme" + System.nanoTime();
        Map<String, String> fields = new LinkedHashMap<>();
        byte[] file = null;
        do {
          if (form.group(2).equals("@")) {
            assertThat(form.group(3)).isEqualTo("shop.zip");
            file = shopZip();
          } else {
            fields.put(form.group(1), form.group(3));
          }
        } while (form.find());
        req.header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(Http.multipart(boundary, fields, "shop.zip", file)));
      } else if (line.contains("-X POST")) {
        req.POST(HttpRequest.BodyPublishers.noBody());
      }
      HttpResponse<String> r = Http.send(req.build());
      assertThat(r.statusCode()).as(line + " -> " + r.body()).isBetween(200, 299);
      if (r.statusCode() == 202) {
        jobId = json.readTree(r.body()).get("id").asText();
      }
      if (path.endsWith("/events")) {
        String last = r.body().lines().filter(l -> l.startsWith("data:")).reduce((a, b) -> b).orElseThrow();
        JsonNode end = json.readTree(last.substring(5));
        assertThat(end.get("state").asText()).as(line).isEqualTo("SUCCEEDED");
      }
      run++;
    }
    assertThat(run).isGreaterThanOrEqualTo(8);
  }

  static byte[] shopZip() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      for (String cls : List.of("shoes", "bags")) {
        for (int i = 0; i < 3; i++) {
          z.putNextEntry(new ZipEntry(cls + "/" + i + ".png"));
          z.write(Images.png(24 + i, 24, cls.equals("shoes") ? java.awt.Color.RED : java.awt.Color.BLUE));
          z.closeEntry();
        }
      }
    }
    return b.toByteArray();
  }
}
