package dlcourse.models;

import dlcourse.nn.Parameter;
import dlcourse.train.Safetensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Published ViT weights in timm's layout (the safetensors files of {@code vit_small_patch16_224},
 * {@code vit_base_patch16_224} and the other plain ViTs of Wightman's pytorch-image-models) to and from
 * {@link ViT}.
 *
 * <p>The two models compute the same function: timm's {@code qkv} Linear is our attention's {@code inProjWeight}
 * (queries, keys, values stacked by rows, heads split alike), {@code proj} is {@code outProj}, and the rest differ
 * only in name. One shape differs: timm keeps the position table as {@code (1, tokens, C)}, we keep
 * {@code (tokens, C)}. The model must be built with learned positions and, to match timm's outputs to float
 * rounding, LayerNorm eps 1e-6, as {@link ViT.Config#vitSmall16} and {@link ViT.Config#vitBase16} are.
 *
 * <p>Loading is all or nothing: the header is checked, every key of the file is matched to a parameter and every
 * parameter to a key, and every shape compared, before a single value is copied. A mismatch fails with one message
 * that lists the missing keys (the model needs them, the file lacks them), the unexpected keys (the file has them,
 * the model has no place for them) and the shape mismatches, all under timm's names, and leaves the model unchanged.
 *
 * <pre>{@code
 * var vit = new ViT(ViT.Config.vitSmall16(1000));
 * ViTWeights.Report r = ViTWeights.load(vit, Path.of("vit_small_patch16_224.safetensors"));
 * var probe = new ViT(ViT.Config.vitSmall16(10));
 * ViTWeights.loadBackbone(probe, file);   // everything but the 1000-class head
 * }</pre>
 */
public final class ViTWeights {
  private static final String HEAD = "head.";

  private ViTWeights() {}

  /**
   * What a load did.
   *
   * @param file the file read
   * @param loaded timm key to our parameter path, for every tensor copied
   * @param skipped timm keys of the file left out on purpose (the head, for {@link #loadBackbone})
   * @param scalars number of values copied
   * @param dtypes the file's element type per timm key
   * @param notes remarks, e.g. a LayerNorm eps other than timm's
   */
  public record Report(Path file, Map<String, String> loaded, List<String> skipped, long scalars,
      Map<String, String> dtypes, List<String> notes) {
    /** One row per loaded tensor: timm key, our parameter, dtype in the file, shape in the model. */
    public Table table(ViT model) {
      Map<String, Parameter> own = model.namedParameters();
      StringColumn timm = StringColumn.create("timm key");
      StringColumn ours = StringColumn.create("dlcourse parameter");
      StringColumn dtype = StringColumn.create("dtype in file");
      StringColumn shape = StringColumn.create("shape");
      loaded.forEach((k, p) -> {
        timm.append(k);
        ours.append(p);
        dtype.append(dtypes.get(k));
        shape.append(Arrays.toString(own.get(p).shape()));
      });
      return Table.create("timm -> dlcourse", timm, ours, dtype, shape);
    }

    @Override
    public String toString() {
      return String.format("%s: %d tensors (%,d values) loaded%s%s", file.getFileName(), loaded.size(), scalars,
          skipped.isEmpty() ? "" : ", " + skipped.size() + " left out " + skipped,
          notes.isEmpty() ? "" : "; " + String.join("; ", notes));
    }
  }

  /**
   * Our parameter path for every timm key of a model of this configuration, in timm's order.
   *
   * @throws IllegalArgumentException if the configuration has fixed positions (timm's table is a parameter)
   */
  public static Map<String, String> keyMap(ViT.Config cfg) {
    if (!cfg.learnedPositions()) {
      throw new IllegalArgumentException("timm's ViTs learn their position table (pos_embed); build the model with "
          + "learned positions, e.g. ViT.Config.vitSmall16(classes) or config.withLearnedPositions(true)");
    }
    Map<String, String> m = new LinkedHashMap<>();
    m.put("cls_token", "clsToken");
    m.put("pos_embed", "posEmbed");
    m.put("patch_embed.proj.weight", "patchEmbed.weight");
    m.put("patch_embed.proj.bias", "patchEmbed.bias");
    for (int i = 0; i < cfg.blocks(); i++) {
      String b = "blocks." + i + ".";
      m.put(b + "norm1.weight", b + "norm1.weight");
      m.put(b + "norm1.bias", b + "norm1.bias");
      m.put(b + "attn.qkv.weight", b + "attn.inProjWeight");
      m.put(b + "attn.qkv.bias", b + "attn.inProjBias");
      m.put(b + "attn.proj.weight", b + "attn.outProj.weight");
      m.put(b + "attn.proj.bias", b + "attn.outProj.bias");
      m.put(b + "norm2.weight", b + "norm2.weight");
      m.put(b + "norm2.bias", b + "norm2.bias");
      m.put(b + "mlp.fc1.weight", b + "mlp.fc1.weight");
      m.put(b + "mlp.fc1.bias", b + "mlp.fc1.bias");
      m.put(b + "mlp.fc2.weight", b + "mlp.fc2.weight");
      m.put(b + "mlp.fc2.bias", b + "mlp.fc2.bias");
    }
    m.put("norm.weight", "norm.weight");
    m.put("norm.bias", "norm.bias");
    m.put("head.weight", "head.weight");
    m.put("head.bias", "head.bias");
    return m;
  }

  /**
   * Loads every parameter of {@code model} from a timm-layout safetensors file, all or nothing.
   *
   * @throws IllegalArgumentException naming the file with every missing and unexpected key and every shape
   *     mismatch, or a broken header; the model is then unchanged
   */
  public static Report load(ViT model, Path file) {
    return load(model, file, false);
  }

  /**
   * Like {@link #load}, but leaves the model's head as it is and ignores the file's {@code head.*}: for a model
   * with another number of classes (fine-tuning, a linear probe).
   */
  public static Report loadBackbone(ViT model, Path file) {
    return load(model, file, true);
  }

  private static Report load(ViT model, Path file, boolean withoutHead) {
    ViT.Config cfg = model.config();
    Map<String, String> map = keyMap(cfg);
    Safetensors.Header h = Safetensors.header(file);
    Map<String, Parameter> own = model.namedParameters();
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    Map<String, String> wanted = new LinkedHashMap<>();
    for (var e : map.entrySet()) {
      if (withoutHead && e.getKey().startsWith(HEAD)) {
        continue;
      }
      Safetensors.Entry entry = h.entries().get(e.getKey());
      if (entry == null) {
        missing.add(e.getKey());
        continue;
      }
      long[] ours = timmShape(e.getKey(), own.get(e.getValue()).shape());
      if (!Arrays.equals(ours, entry.shape())) {
        mismatched.add(e.getKey() + ": file " + Arrays.toString(entry.shape()) + ", model " + Arrays.toString(ours));
      }
      wanted.put(e.getKey(), e.getValue());
    }
    for (String k : h.entries().keySet()) {
      if (withoutHead && k.startsWith(HEAD)) {
        skipped.add(k);
      } else if (!map.containsKey(k)) {
        unexpected.add(k);
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
      StringBuilder b = new StringBuilder(file + " does not fit ViT(" + describe(cfg) + "); nothing was loaded.");
      if (!missing.isEmpty()) {
        b.append("\n  missing keys (the model needs them, the file lacks them): ").append(missing);
      }
      if (!unexpected.isEmpty()) {
        b.append("\n  unexpected keys (in the file, no place in the model): ").append(unexpected);
      }
      if (!mismatched.isEmpty()) {
        b.append("\n  shape mismatches: ").append(mismatched);
        if (!withoutHead && mismatched.stream().allMatch(s -> s.startsWith(HEAD))) {
          b.append("\n  only the head differs: ViTWeights.loadBackbone keeps the model's own head");
        }
      }
      throw new IllegalArgumentException(b.toString());
    }
    for (String k : wanted.keySet()) {
      if (!h.entry(k).dtype().readable()) {
        throw new IllegalArgumentException("safetensors file " + file + " tensor '" + k + "' has dtype "
            + h.entry(k).dtype() + "; ViT weights must be F32, F16, BF16 or F64 (nothing was loaded)");
      }
    }
    Map<String, INDArray> values = Safetensors.read(h, wanted.keySet());
    Map<String, INDArray> state = new LinkedHashMap<>();
    Map<String, String> dtypes = new LinkedHashMap<>();
    long scalars = 0;
    for (var e : wanted.entrySet()) {
      Parameter p = own.get(e.getValue());
      INDArray v = values.get(e.getKey()).reshape(p.shape()).castTo(p.dtype());
      state.put(e.getValue(), v);
      dtypes.put(e.getKey(), h.entry(e.getKey()).dtype().name());
      scalars += v.length();
    }
    model.loadStateDict(state, !withoutHead); // shapes and keys checked above: this copies everything or fails
    List<String> notes = new ArrayList<>();
    if (cfg.normEps() != 1e-6) {
      notes.add("the model's LayerNorm eps is " + cfg.normEps() + ", timm's 1e-6: outputs differ slightly");
    }
    return new Report(file, wanted, skipped, scalars, dtypes, notes);
  }

  /** Our parameter's shape as timm stores it: the position table with a leading 1. */
  private static long[] timmShape(String timmKey, long[] ours) {
    if (timmKey.equals("pos_embed")) {
      return new long[] {1, ours[0], ours[1]};
    }
    return ours;
  }

  private static String describe(ViT.Config c) {
    return "embed " + c.embed() + ", patch " + c.patch() + ", blocks " + c.blocks() + ", heads " + c.heads()
        + ", mlpHidden " + c.mlpHidden() + ", channels " + c.channels() + ", imageSize " + c.imageSize()
        + ", classes " + c.classes();
  }

  /**
   * Writes {@code model}'s parameters as a timm-layout safetensors file (F32, or F64 for a double model), which timm
   * loads into the matching {@code VisionTransformer} with {@code load_state_dict}.
   */
  public static void save(ViT model, Path file) {
    Map<String, Parameter> own = model.namedParameters();
    Map<String, INDArray> out = new LinkedHashMap<>();
    keyMap(model.config()).forEach((timm, ours) -> {
      INDArray v = own.get(ours).data();
      if (v.dataType() != DataType.DOUBLE) {
        v = v.castTo(DataType.FLOAT);
      }
      out.put(timm, v.reshape(timmShape(timm, v.shape())));
    });
    Safetensors.write(file, out, Map.of("format", "pt", "written_by", "dlcourse.models.ViTWeights"));
  }
}
