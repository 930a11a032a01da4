import CUV
import Foundation
import Synchronization

/// Watches folders with libuv file-system events on a loop thread of its own, and calls `onChange`
/// with the folder's path when something in it changed. The file trigger also rescans on a timer,
/// because fs events can be missed (an overflowed inotify queue, a network file system).
///
/// All libuv state lives on the watcher's thread. `stop()` may be called from any thread.
final class FolderWatcher: @unchecked Sendable {
    private let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
    private let stopSignal = UnsafeMutablePointer<uv_async_t>.allocate(capacity: 1)
    private var handles: [UnsafeMutablePointer<uv_fs_event_t>] = []
    private let onChange: @Sendable (String) -> Void
    private let paths: [String]
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(paths: [String], onChange: @escaping @Sendable (String) -> Void) {
        self.paths = paths
        self.onChange = onChange
    }

    deinit {
        loop.deallocate()
        stopSignal.deallocate()
    }

    /// Starts watching. A folder that cannot be watched is reported and left to the rescan timer.
    func start(logger report: @escaping @Sendable (String, Int32) -> Void) {
        uv_loop_init(loop)
        // Unretained: `self` outlives the loop, since `stop()` waits for the thread to finish.
        loop.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_async_init(loop, stopSignal) { handle in
            guard let loop = handle?.pointee.loop else { return }
            uv_walk(loop, { handle, _ in
                if let handle, uv_is_closing(handle) == 0 { uv_close(handle, nil) }
            }, nil)
        }
        for path in paths {
            let handle = UnsafeMutablePointer<uv_fs_event_t>.allocate(capacity: 1)
            uv_fs_event_init(loop, handle)
            handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
            let status = uv_fs_event_start(handle, { handle, _, _, status in
                guard status == 0, let handle, let data = handle.pointee.data else { return }
                let watcher = Unmanaged<FolderWatcher>.fromOpaque(data).takeUnretainedValue()
                var size = 4096
                var buffer = [CChar](repeating: 0, count: size)
                guard uv_fs_event_getpath(handle, &buffer, &size) == 0 else { return }
                // `size` is the path's length without the terminating NUL. Invalid UTF-8 becomes U+FFFD.
                watcher.onChange(String(decoding: buffer.prefix(size).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }, path, 0)
            if status != 0 { report(path, status) }
            handles.append(handle)
        }
        let thread = Thread { [self] in
            uv_run(loop, UV_RUN_DEFAULT)
            uv_loop_close(loop)
            finished.signal()
        }
        thread.name = "trellis-watch"
        self.thread = thread
        thread.start()
    }

    /// Closes every handle and waits for the loop thread to end.
    func stop() {
        guard thread != nil else { return }
        uv_async_send(stopSignal)
        finished.wait()
        thread = nil
        for handle in handles { handle.deallocate() }
        handles = []
    }
}
