package dev.tinyrank;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A loaded .trk model. The runtime reads the weights in place, never copying them:
 * {@link #open(Path)} maps the file read-only, {@link #fromBuffer(ByteBuffer)} uses the
 * bytes of a direct buffer (keep it unchanged while the model is open; this object keeps
 * a reference so that the garbage collector cannot free it).
 *
 * <p>Close a model (try-with-resources) to release the mapping at a known time; closing it
 * closes the sessions still open on it first. Thread-safe: its methods lock the model.
 */
public final class Model implements AutoCloseable {
    /** The runtime reads tensors in place and requires their base at a multiple of 64. */
    public static final int ALIGNMENT = 64;

    private long handle;
    @SuppressWarnings("unused") // holds the bytes alive while the native model reads them
    private ByteBuffer buffer;
    private final List<Session> sessions = new ArrayList<>();

    private Model(long handle, ByteBuffer buffer) {
        this.handle = handle;
        this.buffer = buffer;
    }

    /** Maps the model file read-only (no copy; page-aligned, so 64-byte aligned). */
    public static Model open(Path file) {
        return new Model(Native.modelOpenFile(file.toAbsolutePath().toString()), null);
    }

    /**
     * Uses bytes [position, limit) of a DIRECT buffer in place. The address of the first
     * byte must be a multiple of {@link #ALIGNMENT}, else TINYRANK_ERR_ALIGNMENT is thrown:
     * {@link #allocateAligned(int)} gives a buffer that meets it, and a MappedByteBuffer of
     * a whole file (FileChannel.map at offset 0) meets it too (mappings start on a page).
     */
    public static Model fromBuffer(ByteBuffer direct) {
        if (direct == null || !direct.isDirect()) {
            throw new IllegalArgumentException(
                    "Model.fromBuffer needs a direct ByteBuffer (heap arrays can move: they cannot be read in place)");
        }
        int pos = direct.position();
        return new Model(Native.modelOpenBuffer(direct, pos, direct.limit() - pos), direct);
    }

    /**
     * A direct buffer of {@code size} bytes whose first byte is 64-byte aligned: Java gives
     * no alignment promise for allocateDirect, so this over-allocates by 63 bytes and
     * slices at the first aligned address (works on every Java and Android version).
     */
    public static ByteBuffer allocateAligned(int size) {
        if (size < 0 || size > Integer.MAX_VALUE - (ALIGNMENT - 1)) {
            throw new IllegalArgumentException("size out of range: " + size);
        }
        ByteBuffer raw = ByteBuffer.allocateDirect(size + ALIGNMENT - 1);
        long addr = Native.address(raw);
        int skip = (int) ((ALIGNMENT - (addr & (ALIGNMENT - 1))) & (ALIGNMENT - 1));
        raw.position(skip).limit(skip + size);
        return raw.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** True when the buffer's current position is 64-byte aligned (direct buffers only). */
    public static boolean isAligned(ByteBuffer direct) {
        return direct.isDirect() && ((Native.address(direct) + direct.position()) & (ALIGNMENT - 1)) == 0;
    }

    /** Version of the native runtime, e.g. "0.1.0". */
    public static String runtimeVersion() {
        return Native.version();
    }

    /** What the model is: family, dimensions, dtype. */
    public synchronized ModelInfo info() {
        int[] ints = new int[8];
        String[] strings = Native.modelInfo(live(), ints);
        return new ModelInfo(strings[0], strings[1], strings[2], ints);
    }

    /** Exact arena bytes a session with these options needs (what newSession allocates). */
    public synchronized long arenaBytes(SessionOptions options) {
        return Native.arenaSize(live(), options.toArray());
    }

    /** Opens a session with default options (model max length, batch 1, one thread). */
    public Session newSession() {
        return newSession(new SessionOptions());
    }

    /** Opens a session: its arena (and thread pool, if any) is native memory freed by close(). */
    public synchronized Session newSession(SessionOptions options) {
        Session s = new Session(this, Native.sessionOpen(live(), options.toArray()));
        sessions.add(s);
        return s;
    }

    synchronized void forget(Session s) {
        sessions.remove(s);
    }

    synchronized long live() {
        if (handle == 0) {
            throw new IllegalStateException("the model is closed");
        }
        return handle;
    }

    /** Closes the open sessions, then releases the model (unmaps its file). Idempotent. */
    @Override
    public void close() {
        List<Session> open;
        synchronized (this) {
            if (handle == 0) {
                return;
            }
            open = new ArrayList<>(sessions);
        }
        for (Session s : open) {
            s.close();
        }
        synchronized (this) {
            Native.modelClose(handle);
            handle = 0;
            buffer = null;
        }
    }
}
