package dev.kagami.app;

import dev.kagami.error.KagamiException;
import dev.kagami.error.KagamiException.BackendUnavailable;
import dev.kagami.index.CollectionInfo;
import dev.kagami.model.ModelId;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * After an alias moves to another version, the collections bound to the version it left hold vectors of the
 * old weights (perhaps of another dimension): a query embedded by the new version cannot be compared with
 * them. This finds them and, when asked, rebuilds each for the new version behind its alias with the existing
 * re-index job: searches through the alias keep answering from the old collection until the new one is
 * complete, then the alias switches (the job's result says whether it did). A collection searched by its own
 * name, with no alias, is rebuilt beside it and the answer says so; one whose job cannot start (the re-index
 * queue full) is reported as not started, since the alias has moved already.
 */
@ApplicationScoped
public class CollectionRebinding {

  /** One collection bound to the old version: its alias, the rebuilt collection's name and the job (null: not started). */
  public record Rebuild(String collection, String alias, String target, String jobId, String note) {}

  private final IndexService index;

  public CollectionRebinding(IndexService index) {
    this.index = index;
  }

  /** The collections bound to {@code from}; with {@code start}, each one's re-index for {@code to} is started. */
  public List<Rebuild> rebind(ModelId from, ModelId to, boolean start) {
    IndexService.Listing l;
    try {
      l = index.list().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendUnavailable("interrupted while listing the collections", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new BackendUnavailable("cannot list the collections: " + e.getMessage(), e);
    }
    java.util.Set<String> taken = new java.util.HashSet<>(l.aliases().keySet());
    l.collections().forEach(x -> taken.add(x.name()));
    List<Rebuild> out = new ArrayList<>();
    for (CollectionInfo c : l.collections()) {
      if (!c.model().equals(from.toString())) {
        continue;
      }
      String alias = l.aliases().entrySet().stream().filter(e -> e.getValue().equals(c.name())).map(Map.Entry::getKey).sorted()
          .findFirst().orElse("");
      String base = target(c.name(), to);
      String target = base;
      for (int n = 2; taken.contains(target); n++) { // rebuilt for this version before (a promotion rolled back and made again)
        target = base + "-" + n;
      }
      if (!start) {
        out.add(new Rebuild(c.name(), alias, target, null, "bound to " + from + "; promote with re-indexing (or start a Reindex) "
            + "to rebuild it for " + to));
        continue;
      }
      String note = alias.isEmpty() ? "no alias points at it: it is rebuilt as " + target + " beside it, and searches by its name "
          + "keep the old collection; point an alias at " + target + " to move them"
          : "searches through alias " + alias + " answer from it until " + target + " is complete, then from " + target;
      try {
        String job = index.startReindex(new IndexCommands.Reindex(c.name(), target, to, alias, false)).id().toString();
        out.add(new Rebuild(c.name(), alias, target, job, note));
      } catch (KagamiException e) {
        // the alias has moved already: a re-index that cannot start (its queue full) is reported, not the move undone
        out.add(new Rebuild(c.name(), alias, target, null, "not started (" + e.getMessage() + "): start a Reindex of "
            + c.name() + " into " + target + (alias.isEmpty() ? "" : " with alias " + alias) + " later"));
      }
    }
    return out;
  }

  /** The rebuilt collection's name: the source's and the new version's, within the store's name rules. */
  static String target(String collection, ModelId to) {
    String v = to.version().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
    String name = collection + "-v" + v;
    return name.length() <= 100 ? name : name.substring(0, 100);
  }
}
