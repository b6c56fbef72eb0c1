package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NotebookRunnerTest {

  @Test
  void parametersAreTypedLikePapermill() {
    assertEquals("int EPOCHS = 3;", NotebookRunner.declaration("EPOCHS", "3"));
    assertEquals("double LR = 0.01;", NotebookRunner.declaration("LR", "0.01"));
    assertEquals("double LR = 1e-3;", NotebookRunner.declaration("LR", "1e-3"));
    assertEquals("boolean QUICK = false;", NotebookRunner.declaration("QUICK", "false"));
    assertEquals("long BIG = 12345678901L;", NotebookRunner.declaration("BIG", "12345678901"));
    assertEquals("String NAME = \"say \\\"hi\\\"\";", NotebookRunner.declaration("NAME", "say \"hi\""));
  }

  @Test
  void parametersTakeTheTypeTheParametersCellDeclares() throws Exception {
    assertEquals("double lr = 1.0;", NotebookRunner.typedDeclaration("lr", "1", "double"));
    assertEquals("long n = 3L;", NotebookRunner.typedDeclaration("n", "3", "long"));
    assertEquals("String tag = \"42\";", NotebookRunner.typedDeclaration("tag", "42", "String"));
    assertEquals("int epochs = 5;", NotebookRunner.typedDeclaration("epochs", "5", "int"));
    NotebookRunner.UsageException e = assertThrows(NotebookRunner.UsageException.class,
        () -> NotebookRunner.typedDeclaration("epochs", "2.5", "int"));
    assertTrue(e.getMessage().contains("declares int epochs, and '2.5' is not an int"), e.getMessage());
    e = assertThrows(NotebookRunner.UsageException.class, () -> NotebookRunner.typedDeclaration("q", "yes", "boolean"));
    assertTrue(e.getMessage().contains("'yes' is not a boolean"), e.getMessage());
    com.google.gson.JsonObject nb = com.google.gson.JsonParser.parseString("{\"cells\": [{\"cell_type\": \"code\","
        + " \"metadata\": {\"tags\": [\"parameters\"]}, \"source\": \"double lr = 0.1;\\nint epochs = 3;"
        + "\\nString nets = \\\"a\\\";\"}]}").getAsJsonObject();
    assertEquals(java.util.Map.of("lr", "double", "epochs", "int", "nets", "String"), NotebookRunner.declaredParameters(
        nb));
  }

  @Test
  void badParameterNamesAreRejected() {
    NotebookRunner.UsageException e = assertThrows(NotebookRunner.UsageException.class,
        () -> NotebookRunner.parse(new String[] {"a.ipynb", "-p", "1x=3"}));
    assertTrue(e.getMessage().contains("'1x' is not a Java identifier"), e.getMessage());
    e = assertThrows(NotebookRunner.UsageException.class, () -> NotebookRunner.parse(new String[] {"a.ipynb", "-p"}));
    assertTrue(e.getMessage().contains("-p needs a value"), e.getMessage());
  }

  @Test
  void markdownSubsetRenders() {
    String html = HtmlExport.markdown("# Title\nSome `code` and **bold**.\n\n- one\n- two");
    assertEquals(
        "<h1>Title</h1>\n<p>Some <code>code</code> and <b>bold</b>.</p>\n<ul><li>one</li>\n<li>two</li>\n</ul>",
        html);
  }

  @Test
  void toolsCheckParametersAgainstTheNotebookAsMinusPDoes() {
    java.nio.file.Path smoke = java.nio.file.Path.of("src/test/resources/notebooks/smoke.ipynb");
    assertEquals(java.util.List.of("EPOCHS", "QUICK", "NAME"),
        java.util.List.copyOf(NotebookRunner.checkParameters(smoke, java.util.Map.of("EPOCHS", "3")).keySet()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NotebookRunner.checkParameters(smoke, java.util.Map.of("EPOCHS", "three")));
    assertTrue(e.getMessage().contains("declares int EPOCHS, and 'three' is not an int"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> NotebookRunner.checkParameters(smoke, java.util.Map.of("lr", "0.1")));
    assertTrue(e.getMessage().contains("has no parameter 'lr'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> NotebookRunner.checkParameters(java.nio.file.Path.of("missing.ipynb"), java.util.Map.of()));
    assertTrue(e.getMessage().contains("missing.ipynb: no such file"), e.getMessage());
  }

  /** Tags of each cell, "-" for none, and the injected-parameters cell's source. */
  private static String injected(String notebook, boolean quick, String... params) throws Exception {
    com.google.gson.JsonObject nb = Notebook.read(java.nio.file.Path.of("src/test/resources/notebooks/" + notebook));
    NotebookRunner.Options o = new NotebookRunner.Options();
    o.quick = quick;
    for (int i = 0; i < params.length; i += 2) {
      o.parameters.put(params[i], params[i + 1]);
    }
    NotebookRunner.injectParameters(nb, o);
    StringBuilder s = new StringBuilder();
    for (com.google.gson.JsonElement e : nb.getAsJsonArray("cells")) {
      com.google.gson.JsonObject c = e.getAsJsonObject();
      String tag = Notebook.hasTag(c, "injected-quick") ? "quick" : Notebook.hasTag(c, "parameters") ? "parameters"
          : Notebook.hasTag(c, "injected-parameters") ? "injected[" + Notebook.source(c).replace("\n", " ") + "]" : "-";
      s.append(tag).append(' ');
    }
    return s.toString().strip();
  }

  @Test
  void quickRunsQuickSetBeforeTheParametersCellAndParametersAfterIt() throws Exception {
    assertEquals("- quick parameters -", injected("quick.ipynb", true));
    assertEquals("- quick parameters injected[// Parameters injected by dlcourse run int epochs = 5;] -",
        injected("quick.ipynb", true, "epochs", "5"));
    assertEquals("- parameters injected[// Parameters injected by dlcourse run int epochs = 5;] -",
        injected("quick.ipynb", false, "epochs", "5"));
    assertEquals("- parameters -", injected("quick.ipynb", false));
    // a parameters cell that declares QUICK itself (the older convention) also gets QUICK = true
    assertEquals("- quick parameters injected[// Parameters injected by dlcourse run boolean QUICK = true;] - - - -",
        injected("smoke.ipynb", true));
  }
}
