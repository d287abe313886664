package dev.tinyrank;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tests of the Java binding on the host JVM, run by bindings/java/test.sh with the folder
 * it prepared (args[0]):
 *
 * <ul>
 *   <li>{@code tiny-int8.trk}, {@code tiny-f32.trk}: the project's generated checkpoint
 *       (tests/tools/make_checkpoint.py --preset tiny) converted by the CLI;
 *   <li>{@code query.txt}, {@code passages.txt} and {@code cli-int8.jsonl},
 *       {@code cli-f32.jsonl}: what the C CLI ({@code tinyrank rerank --json}) printed for
 *       them: the reference of the scores and the order (the CLI calls the C API directly,
 *       the binding goes through Java strings, packing and JNI);
 *   <li>{@code golden/} (only when ../shared is there): Hugging Face's bert_tiny converted
 *       to f32 with a vocabulary whose word "tokN" is id N, and {@code golden.tsv}: the
 *       pairs of inputs.json as texts with transformers' scores_unbatched and the ids.
 * </ul>
 *
 * No test framework is downloaded: every public static void test* method is a case, and
 * the last line is "N passed, N failed, N skipped" (the exit status is 1 on a failure).
 */
public final class TinyrankTest {
    private static Path dir;

    /** A case that cannot run here (missing ../shared): counted, not passed. */
    static final class Skip extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Skip(String why) {
            super(why);
        }
    }

    public static void main(String[] args) throws Exception {
        dir = Path.of(args[0]);
        int passed = 0, failed = 0, skipped = 0;
        List<Method> cases = new ArrayList<>();
        for (Method m : TinyrankTest.class.getDeclaredMethods()) {
            if (m.getName().startsWith("test") && Modifier.isStatic(m.getModifiers())) {
                cases.add(m);
            }
        }
        cases.sort((a, b) -> a.getName().compareTo(b.getName()));
        System.out.println("tinyrank runtime " + Model.runtimeVersion() + ", " + cases.size() + " cases");
        for (Method m : cases) {
            try {
                m.invoke(null);
                System.out.println("[       OK ] " + m.getName());
                passed++;
            } catch (InvocationTargetException e) {
                Throwable t = e.getCause();
                if (t instanceof Skip) {
                    System.out.println("[  SKIPPED ] " + m.getName() + "  SKIPPED: " + t.getMessage());
                    skipped++;
                } else {
                    System.out.println("[  FAILED  ] " + m.getName() + ": " + t);
                    t.printStackTrace(System.out);
                    failed++;
                }
            }
        }
        System.out.println(passed + " passed, " + failed + " failed, " + skipped + " skipped");
        System.exit(failed == 0 ? 0 : 1);
    }

    // ------------------------------------------------------------ assertions

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    interface Body {
        void run() throws Exception;
    }

    /** The body must throw a TinyrankException with this status name. */
    static TinyrankException expectStatus(String status, Body body) throws Exception {
        try {
            body.run();
        } catch (TinyrankException e) {
            check(e.statusName().equals(status), "expected " + status + ", got " + e.getMessage());
            check(e.getMessage().startsWith(status), "message should start with the status: " + e.getMessage());
            return e;
        }
        throw new AssertionError("expected TinyrankException " + status + ", nothing thrown");
    }

    static <T extends Throwable> void expectThrows(Class<T> cls, Body body) throws Exception {
        try {
            body.run();
        } catch (Throwable t) {
            check(cls.isInstance(t), "expected " + cls.getSimpleName() + ", got " + t);
            return;
        }
        throw new AssertionError("expected " + cls.getSimpleName() + ", nothing thrown");
    }

    // ------------------------------------------------------------ fixtures

    static List<String> passages() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("passages.txt"), StandardCharsets.UTF_8)) {
            if (!line.isEmpty()) {
                out.add(line);
            }
        }
        return out;
    }

    static String query() throws IOException {
        return Files.readString(dir.resolve("query.txt"), StandardCharsets.UTF_8).strip();
    }

    /** The CLI's JSON lines: {"rank": r, "index": i, "score": s, ...}, best first. */
    static List<float[]> cliRanking(String file) throws IOException {
        Pattern p = Pattern.compile("\"index\": (\\d+), \"score\": ([-+0-9.eE]+|nan|inf)");
        List<float[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(file), StandardCharsets.UTF_8)) {
            Matcher m = p.matcher(line);
            check(m.find(), "unexpected CLI line: " + line);
            out.add(new float[] {Integer.parseInt(m.group(1)), Float.parseFloat(m.group(2))});
        }
        return out;
    }

    static ByteBuffer readAligned(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = Model.allocateAligned(bytes.length);
        b.put(bytes).flip();
        return b;
    }

    // ------------------------------------------------------------ cases

    /** Scores and order through Java equal the C CLI's on the same model (int8 and f32). */
    public static void testScoresMatchCli() throws Exception {
        for (String dtype : new String[] {"int8", "f32"}) {
            List<String> ps = passages();
            List<float[]> cli = cliRanking("cli-" + dtype + ".jsonl");
            check(cli.size() == ps.size(), "CLI ranked " + cli.size() + " of " + ps.size());
            try (Model m = Model.open(dir.resolve("tiny-" + dtype + ".trk"));
                    Session s = m.newSession()) {
                float[] got = s.score(query(), ps);
                for (float[] row : cli) {
                    int i = (int) row[0];
                    // %.9g round-trips a float: the same C computation gives the same bits
                    check(got[i] == row[1], dtype + " passage " + i + ": Java " + got[i] + ", CLI " + row[1]);
                }
                Session.Result[] r = s.rerank(query(), ps, ps.size());
                check(r.length == cli.size(), "rerank length");
                for (int k = 0; k < r.length; k++) {
                    check(r[k].index == (int) cli.get(k)[0], dtype + " rank " + k + ": Java #" + r[k].index
                            + ", CLI #" + (int) cli.get(k)[0]);
                    check(r[k].score == cli.get(k)[1], "rerank score at rank " + k);
                }
            }
        }
    }

    /** Hugging Face transformers' scores of bert_tiny, from text through the tokenizer. */
    public static void testGoldenBertTinyMatchesTransformers() throws Exception {
        Path tsv = dir.resolve("golden.tsv");
        if (!Files.exists(tsv)) {
            throw new Skip("../shared/golden/bert_tiny not found (set TINYRANK_SHARED): transformers reference not checked");
        }
        try (Model m = Model.open(dir.resolve("golden/bert_tiny-f32.trk")); Session s = m.newSession()) {
            check(m.info().weightDtype.equals("f32"), "dtype " + m.info().weightDtype);
            int n = 0;
            for (String line : Files.readAllLines(tsv, StandardCharsets.UTF_8)) {
                String[] f = line.split("\t");
                String query = f[0], passage = f[1];
                double want = Double.parseDouble(f[2]);
                int[] ids = Arrays.stream(f[3].split(" ")).mapToInt(Integer::parseInt).toArray();
                check(Arrays.equals(s.tokenizePair(query, passage), ids),
                        "ids of pair " + n + ": " + Arrays.toString(s.tokenizePair(query, passage)));
                float got = s.score(query, passage)[0];
                // as tests/test_golden_bert.c: f32 within 1e-5 of transformers (spread ~1e-3)
                check(Math.abs(got - want) <= 1e-5, "pair " + n + ": Java " + got + ", transformers " + want);
                n++;
            }
            check(n >= 2, "golden.tsv has " + n + " pairs");
        }
    }

    /** A direct buffer, 64-byte aligned, is read in place and scores like the file. */
    public static void testFromAlignedBufferScoresLikeFile() throws Exception {
        Path file = dir.resolve("tiny-int8.trk");
        ByteBuffer b = readAligned(file);
        check(Model.isAligned(b), "allocateAligned gave an unaligned buffer");
        float[] fromFile, fromBuffer;
        try (Model m = Model.open(file); Session s = m.newSession()) {
            fromFile = s.score(query(), passages());
        }
        try (Model m = Model.fromBuffer(b); Session s = m.newSession()) {
            fromBuffer = s.score(query(), passages());
            check(m.info().family.equals("bert"), "family " + m.info().family);
        }
        check(Arrays.equals(fromFile, fromBuffer), "buffer and file scores differ");
        // a whole-file mapping starts on a page: aligned, no copy
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            check(Model.isAligned(mapped), "a file mapping should be page aligned");
            try (Model m = Model.fromBuffer(mapped); Session s = m.newSession()) {
                check(Arrays.equals(fromFile, s.score(query(), passages())), "mapped buffer scores differ");
            }
        }
    }

    /** Bytes that are not 64-byte aligned are refused with the runtime's status, not copied. */
    public static void testMisalignedBufferIsRefused() throws Exception {
        byte[] bytes = Files.readAllBytes(dir.resolve("tiny-int8.trk"));
        ByteBuffer b = Model.allocateAligned(bytes.length + 8);
        b.position(8); // 8 bytes past an aligned address
        b.put(bytes).position(8);
        check(!Model.isAligned(b), "position 8 of an aligned buffer cannot be aligned");
        expectStatus("TINYRANK_ERR_ALIGNMENT", () -> Model.fromBuffer(b));
        expectThrows(IllegalArgumentException.class, () -> Model.fromBuffer(ByteBuffer.wrap(bytes)));
    }

    /** Corrupt, truncated and missing models give the runtime's error, never a crash. */
    public static void testBadModelsThrowStatus() throws Exception {
        byte[] good = Files.readAllBytes(dir.resolve("tiny-int8.trk"));
        ByteBuffer truncated = Model.allocateAligned(100);
        truncated.put(good, 0, 100).flip();
        TinyrankException e = expectStatus("TINYRANK_ERR_CORRUPT_MODEL", () -> Model.fromBuffer(truncated));
        check(e.status() == 2, "TINYRANK_ERR_CORRUPT_MODEL is 2 in tinyrank.h, got " + e.status());
        check(e.getMessage().length() > "TINYRANK_ERR_CORRUPT_MODEL: ".length(), "no reason given: " + e.getMessage());
        ByteBuffer empty = Model.allocateAligned(0);
        expectStatus("TINYRANK_ERR_CORRUPT_MODEL", () -> Model.fromBuffer(empty));
        ByteBuffer garbage = Model.allocateAligned(4096);
        for (int i = 0; i < 4096; i++) {
            garbage.put((byte) (i * 131 + 7));
        }
        garbage.flip();
        expectStatus("TINYRANK_ERR_CORRUPT_MODEL", () -> Model.fromBuffer(garbage));
        TinyrankException io = expectStatus("TINYRANK_ERR_IO", () -> Model.open(dir.resolve("no-such-model.trk")));
        check(io.getMessage().contains("no-such-model.trk"), "the message should name the file: " + io.getMessage());
    }

    /** Invalid session options are the runtime's INVALID_ARGUMENT, with its message. */
    public static void testBadSessionOptions() throws Exception {
        try (Model m = Model.open(dir.resolve("tiny-int8.trk"))) {
            expectStatus("TINYRANK_ERR_INVALID_ARGUMENT", () -> m.newSession(new SessionOptions().maxBatch(0)));
            expectStatus("TINYRANK_ERR_INVALID_ARGUMENT", () -> m.arenaBytes(new SessionOptions().maxBatch(-3)));
            long small = m.arenaBytes(new SessionOptions().maxLength(32));
            long big = m.arenaBytes(new SessionOptions().maxLength(32).maxBatch(8));
            check(small > 0 && big > small, "arena bytes: batch 1 " + small + ", batch 8 " + big);
            try (Session s = m.newSession(new SessionOptions().maxLength(32))) {
                check(s.arenaBytes() == small, "session arena " + s.arenaBytes() + " != arenaBytes " + small);
            }
        }
    }

    /** Batches, threads and the sigmoid option do not change the scores beyond what they mean. */
    public static void testOptionsKeepScores() throws Exception {
        List<String> ps = passages();
        try (Model m = Model.open(dir.resolve("tiny-int8.trk"))) {
            float[] one, batched, threaded, sig;
            try (Session s = m.newSession()) {
                one = s.score(query(), ps);
            }
            try (Session s = m.newSession(new SessionOptions().maxBatch(3))) {
                batched = s.score(query(), ps);
            }
            try (Session s = m.newSession(new SessionOptions().threads(2).maxBatch(2))) {
                threaded = s.score(query(), ps);
            }
            try (Session s = m.newSession(new SessionOptions().score(SessionOptions.Score.SIGMOID))) {
                sig = s.score(query(), ps);
            }
            for (int i = 0; i < ps.size(); i++) {
                // the runtime promises bit-identical scores for any thread count
                check(threaded[i] == batched[i], "threads changed score " + i);
                check(Math.abs(batched[i] - one[i]) <= 1e-5f * Math.max(1f, Math.abs(one[i])), "batch changed score " + i);
                double want = 1.0 / (1.0 + Math.exp(-one[i]));
                check(Math.abs(sig[i] - want) <= 1e-6, "sigmoid " + i + ": " + sig[i] + " vs " + want);
            }
        }
    }

    /** Equal scores keep input order; topK cuts; an empty list is empty. */
    public static void testRerankOrderAndTopK() throws Exception {
        List<String> ps = passages();
        try (Model m = Model.open(dir.resolve("tiny-int8.trk")); Session s = m.newSession()) {
            float[] sc = s.score(query(), ps);
            Integer[] order = new Integer[ps.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> sc[a] != sc[b] ? Float.compare(sc[b], sc[a]) : Integer.compare(a, b));
            for (int k : new int[] {0, 1, 2, ps.size(), ps.size() + 5}) {
                Session.Result[] r = s.rerank(query(), ps, k);
                check(r.length == Math.min(k, ps.size()), "top " + k + " gave " + r.length);
                for (int j = 0; j < r.length; j++) {
                    check(r[j].index == order[j] && r[j].score == sc[order[j]], "top " + k + " rank " + j);
                }
            }
            check(s.score(query(), List.of()).length == 0, "no passages, no scores");
            check(s.rerank(query(), List.of(), 3).length == 0, "no passages, no results");
            expectThrows(IllegalArgumentException.class, () -> s.rerank(query(), ps, -1));
        }
    }

    /** Texts outside ASCII, with NUL or outside the BMP go through as UTF-8 without harm. */
    public static void testUnicodeTexts() throws Exception {
        try (Model m = Model.open(dir.resolve("tiny-f32.trk")); Session s = m.newSession()) {
            String[] odd = {"caf\u00e9 r\u00e9sum\u00e9", "nul\u0000inside", "emoji \uD83D\uDE00 here",
                "lone \uD800 surrogate", "", "\u4e2d\u6587 text"};
            float[] sc = s.score("the river", odd);
            for (float f : sc) {
                check(Float.isFinite(f), "non-finite score " + f);
            }
            // NUL is a character, not the end: the text after it is tokenized too
            int[] withNul = s.tokenizePair("q", "the\u0000river");
            int[] without = s.tokenizePair("q", "the");
            check(withNul.length > without.length, "text after NUL was dropped");
        }
    }

    /** Closing is deterministic: model.close() closes its sessions; use after close throws. */
    public static void testCloseIsDeterministic() throws Exception {
        Model m = Model.open(dir.resolve("tiny-int8.trk"));
        Session a = m.newSession();
        Session b = m.newSession();
        a.close();
        a.close(); // idempotent
        expectThrows(IllegalStateException.class, () -> a.score("q", "p"));
        check(b.score("q", "p").length == 1, "b still works");
        m.close();
        expectThrows(IllegalStateException.class, () -> b.score("q", "p"));
        expectThrows(IllegalStateException.class, m::newSession);
        expectThrows(IllegalStateException.class, m::info);
        b.close();
        m.close();
    }

    /** Many open/close rounds on one buffer: a double free or a use after free in the
     *  glue's close paths shows here (glibc aborts the JVM); leaks are not measured. */
    public static void testOpenCloseLoop() throws Exception {
        ByteBuffer b = readAligned(dir.resolve("tiny-int8.trk"));
        for (int i = 0; i < 200; i++) {
            try (Model m = Model.fromBuffer(b); Session s = m.newSession(new SessionOptions().maxLength(64))) {
                check(s.score("q", "p").length == 1, "round " + i);
            }
        }
    }
}
