// A test double of libedgetpu: the same C ABI (edgetpu_c.h and TFLite's external-delegate
// plugin entry points), no hardware. Built for tests only (target whittle_fake_edgetpu); it is
// never packaged into the jar. Java loads it with -Dwhittle.edgetpu.lib=PATH, or through
// TFLite's external delegate (external:PATH), exactly as it would load the real library.
//
// What it does, so tests can check every step of the Edge TPU path on a machine without one:
//   * edgetpu_list_devices: N fake devices (default 1; WHITTLE_FAKE_EDGETPU_DEVICES or
//     fake_edgetpu_configure("devices", "N")); device i is USB when i is even, PCI when odd,
//     with path /dev/fake_edgetpu_<i>.
//   * edgetpu_create_delegate: a real TfLiteDelegate whose Prepare claims every node whose
//     registration is the custom op "edgetpu-custom-op" through the TfLiteContext callbacks
//     (GetExecutionPlan, GetNodeAndRegistration, ReplaceNodeSubsetsWithDelegateKernels).
//     Returns null, as libedgetpu does, when no device matches the type and path asked for,
//     when the device is busy (option Fake.Busy=1 or configure("busy", "1")), or when an
//     option value is invalid (Performance other than Low/Medium/High/Max).
//   * The delegate kernel's output rule (documented in FakeEdgeTpu.java as well):
//         S = sum of all bytes of all input tensors of the delegated partition
//         output k, byte i = (S + salt + 31*k + i) mod 256
//     where salt is the integer option Fake.Salt (default 0). Invokes on one device are
//     serialized by a per-device mutex, as the real driver serializes requests to one TPU.
//   * Test hooks: fake_edgetpu_last_options (the options of the last create, "k=v;..."),
//     fake_edgetpu_live_delegates, fake_edgetpu_claimed_nodes, fake_edgetpu_invokes,
//     fake_edgetpu_configure, fake_edgetpu_reset, fake_edgetpu_layout (sizes and offsets of
//     the mirrored structs, which the Java test compares with the real TFLite build's before
//     it lets TFLite call into this library).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#define FAKE_API extern "C" __attribute__((visibility("default")))

namespace {

// ---- The subset of TFLite's C ABI this delegate touches. ----
// Mirrors tensorflow/lite/core/c/common.h of TensorFlow Lite 2.20 (LP64). Field order and
// types are those of that header; fields this file never reads are kept as opaque members of
// the same size so that every offset and sizeof matches. Do not reorder.

typedef int TfLiteStatus;  // enum TfLiteStatus: kTfLiteOk = 0, kTfLiteError = 1
constexpr TfLiteStatus kOk = 0;
constexpr TfLiteStatus kError = 1;

struct TfLiteIntArray {
  int size;
  int data[];
};

struct TfLiteContext;
struct TfLiteDelegate;

struct TfLiteTensor {
  int type;                  // TfLiteType
  void* data;                // TfLitePtrUnion
  TfLiteIntArray* dims;
  float scale;               // TfLiteQuantizationParams
  int32_t zero_point;
  int allocation_type;       // TfLiteAllocationType
  size_t bytes;
  const void* allocation;
  const char* name;
  TfLiteDelegate* delegate;
  int buffer_handle;
  bool data_is_stale;
  bool is_variable;
  int quantization_type;     // TfLiteQuantization
  void* quantization_params;
  void* sparsity;
  const TfLiteIntArray* dims_signature;
};

struct TfLiteNode {
  TfLiteIntArray* inputs;
  TfLiteIntArray* outputs;
  TfLiteIntArray* intermediates;
  TfLiteIntArray* temporaries;
  void* user_data;
  void* builtin_data;
  const void* custom_initial_data;
  int custom_initial_data_size;
  TfLiteDelegate* delegate;
  bool might_have_side_effect;
};

struct TfLiteRegistration {
  void* (*init)(TfLiteContext* context, const char* buffer, size_t length);
  void (*free)(TfLiteContext* context, void* buffer);
  TfLiteStatus (*prepare)(TfLiteContext* context, TfLiteNode* node);
  TfLiteStatus (*invoke)(TfLiteContext* context, TfLiteNode* node);
  const char* (*profiling_string)(const TfLiteContext* context, const TfLiteNode* node);
  int32_t builtin_code;
  const char* custom_name;
  int version;
  void* registration_external;
  void* (*async_kernel)(TfLiteContext* context, TfLiteNode* node);
  uint64_t inplace_operator;
};

struct TfLiteDelegateParams {
  TfLiteDelegate* delegate;
  TfLiteIntArray* nodes_to_replace;
  TfLiteIntArray* input_tensors;
  TfLiteIntArray* output_tensors;
};

struct TfLiteContext {
  size_t tensors_size;
  TfLiteStatus (*GetExecutionPlan)(TfLiteContext* context, TfLiteIntArray** execution_plan);
  TfLiteTensor* tensors;
  void* impl_;
  void* ResizeTensor;
  void (*ReportError)(TfLiteContext*, const char* msg, ...);
  void* AddTensors;
  TfLiteStatus (*GetNodeAndRegistration)(TfLiteContext*, int node_index, TfLiteNode** node,
                                         TfLiteRegistration** registration);
  TfLiteStatus (*ReplaceNodeSubsetsWithDelegateKernels)(TfLiteContext*, TfLiteRegistration registration,
                                                        const TfLiteIntArray* nodes_to_replace,
                                                        TfLiteDelegate* delegate);
  // Later members are never touched here.
};

struct TfLiteDelegate {
  void* data_;
  TfLiteStatus (*Prepare)(TfLiteContext* context, TfLiteDelegate* delegate);
  void* CopyFromBufferHandle;
  void* CopyToBufferHandle;
  void* FreeBufferHandle;
  int64_t flags;
  void* opaque_delegate_builder;
};

static_assert(sizeof(void*) == 8, "the mirrored layouts are those of LP64 targets");
static_assert(sizeof(TfLiteTensor) == 112, "TfLiteTensor of TFLite 2.20");
static_assert(sizeof(TfLiteNode) == 80, "TfLiteNode of TFLite 2.20");
static_assert(sizeof(TfLiteRegistration) == 88, "TfLiteRegistration of TFLite 2.20");
static_assert(sizeof(TfLiteDelegate) == 56, "TfLiteDelegate of TFLite 2.20");
static_assert(offsetof(TfLiteContext, ReplaceNodeSubsetsWithDelegateKernels) == 64, "TfLiteContext of TFLite 2.20");

// ---- edgetpu_c.h ----
enum edgetpu_device_type { EDGETPU_APEX_PCI = 0, EDGETPU_APEX_USB = 1 };
struct edgetpu_device {
  edgetpu_device_type type;
  const char* path;
};
struct edgetpu_option {
  const char* name;
  const char* value;
};

const char* const kCustomOp = "edgetpu-custom-op";
constexpr uint32_t kMagic = 0xED6E7B0u;
constexpr int kMaxDevices = 16;

struct Device {
  std::mutex busy;  // one request at a time, as on a real TPU
  char path[64];
};

struct State {
  std::mutex mu;
  int devices = -1;  // -1: read the environment on first use
  bool busy = false;
  int verbosity = 0;
  std::string last_options;
  std::string last_options_copy;  // what fake_edgetpu_last_options returned last
};

State& state() {
  static State s;
  return s;
}

Device* devices() {
  static Device d[kMaxDevices];
  static std::once_flag once;
  std::call_once(once, [] {
    for (int i = 0; i < kMaxDevices; i++) {
      std::snprintf(d[i].path, sizeof d[i].path, "/dev/fake_edgetpu_%d", i);
    }
  });
  return d;
}

std::atomic<int> live_delegates{0};
std::atomic<long> claimed_nodes{0};
std::atomic<long> invokes{0};

int device_count_locked(State& s) {
  if (s.devices < 0) {
    const char* env = std::getenv("WHITTLE_FAKE_EDGETPU_DEVICES");
    int n = env == nullptr ? 1 : std::atoi(env);
    s.devices = n < 0 ? 0 : n > kMaxDevices ? kMaxDevices : n;
  }
  return s.devices;
}

edgetpu_device_type type_of(int i) { return i % 2 == 0 ? EDGETPU_APEX_USB : EDGETPU_APEX_PCI; }

struct FakeDelegate {
  TfLiteDelegate base;  // first member: a TfLiteDelegate* is a FakeDelegate*
  uint32_t magic;
  int device;
  int salt;
};

struct Kernel {
  FakeDelegate* delegate;
};

FakeDelegate* from(TfLiteDelegate* d) {
  FakeDelegate* f = reinterpret_cast<FakeDelegate*>(d);
  return f != nullptr && f->magic == kMagic ? f : nullptr;
}

void* KernelInit(TfLiteContext*, const char* buffer, size_t) {
  const TfLiteDelegateParams* params = reinterpret_cast<const TfLiteDelegateParams*>(buffer);
  Kernel* k = new Kernel;
  k->delegate = from(params->delegate);
  return k;
}

void KernelFree(TfLiteContext*, void* buffer) { delete static_cast<Kernel*>(buffer); }

TfLiteStatus KernelPrepare(TfLiteContext*, TfLiteNode*) { return kOk; }

TfLiteStatus KernelInvoke(TfLiteContext* context, TfLiteNode* node) {
  Kernel* k = static_cast<Kernel*>(node->user_data);
  if (k == nullptr || k->delegate == nullptr) {
    context->ReportError(context, "fake edgetpu: kernel without a live delegate");
    return kError;
  }
  std::lock_guard<std::mutex> lock(devices()[k->delegate->device].busy);
  uint32_t sum = 0;
  for (int i = 0; i < node->inputs->size; i++) {
    int t = node->inputs->data[i];
    if (t < 0 || static_cast<size_t>(t) >= context->tensors_size) continue;
    const TfLiteTensor& in = context->tensors[t];
    const uint8_t* p = static_cast<const uint8_t*>(in.data);
    if (p == nullptr) continue;
    for (size_t b = 0; b < in.bytes; b++) sum += p[b];
  }
  for (int o = 0; o < node->outputs->size; o++) {
    int t = node->outputs->data[o];
    if (t < 0 || static_cast<size_t>(t) >= context->tensors_size) continue;
    TfLiteTensor& out = context->tensors[t];
    uint8_t* p = static_cast<uint8_t*>(out.data);
    if (p == nullptr) {
      context->ReportError(context, "fake edgetpu: output tensor %d has no memory", t);
      return kError;
    }
    for (size_t i = 0; i < out.bytes; i++) {
      p[i] = static_cast<uint8_t>(sum + static_cast<uint32_t>(k->delegate->salt) + 31u * o + i);
    }
  }
  invokes.fetch_add(1);
  return kOk;
}

TfLiteStatus DelegatePrepare(TfLiteContext* context, TfLiteDelegate* delegate) {
  if (from(delegate) == nullptr) {
    context->ReportError(context, "fake edgetpu: Prepare called with a freed delegate");
    return kError;
  }
  TfLiteIntArray* plan = nullptr;
  if (context->GetExecutionPlan(context, &plan) != kOk) return kError;
  std::vector<int> claim;
  for (int i = 0; i < plan->size; i++) {
    TfLiteNode* node = nullptr;
    TfLiteRegistration* reg = nullptr;
    if (context->GetNodeAndRegistration(context, plan->data[i], &node, &reg) != kOk) return kError;
    if (reg != nullptr && reg->custom_name != nullptr && std::strcmp(reg->custom_name, kCustomOp) == 0) {
      claim.push_back(plan->data[i]);
    }
  }
  TfLiteRegistration kernel;
  std::memset(&kernel, 0, sizeof kernel);
  kernel.init = KernelInit;
  kernel.free = KernelFree;
  kernel.prepare = KernelPrepare;
  kernel.invoke = KernelInvoke;
  kernel.custom_name = "fake-edgetpu-delegate";
  kernel.version = 1;
  // One delegate kernel per custom op, as libedgetpu does: each compiled subgraph is one
  // executable on the device.
  for (int index : claim) {
    TfLiteIntArray* nodes = static_cast<TfLiteIntArray*>(std::malloc(sizeof(int) * 2));
    nodes->size = 1;
    nodes->data[0] = index;
    TfLiteStatus st = context->ReplaceNodeSubsetsWithDelegateKernels(context, kernel, nodes, delegate);
    std::free(nodes);  // TFLite does not take ownership
    if (st != kOk) return st;
    claimed_nodes.fetch_add(1);
  }
  return kOk;
}

bool valid_performance(const char* v) {
  return std::strcmp(v, "Low") == 0 || std::strcmp(v, "Medium") == 0 || std::strcmp(v, "High") == 0 ||
         std::strcmp(v, "Max") == 0;
}

TfLiteDelegate* create(int type, const char* name, const edgetpu_option* options, size_t num_options,
                       std::string* error) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  std::string recorded = "type=" + std::to_string(type) + ";name=" + (name == nullptr ? "" : name);
  bool busy = s.busy;
  int salt = 0;
  for (size_t i = 0; i < num_options; i++) {
    const char* k = options[i].name == nullptr ? "" : options[i].name;
    const char* v = options[i].value == nullptr ? "" : options[i].value;
    recorded += std::string(";") + k + "=" + v;
    if (std::strcmp(k, "Fake.Busy") == 0 && std::strcmp(v, "1") == 0) busy = true;
    if (std::strcmp(k, "Fake.Salt") == 0) salt = std::atoi(v);
    if (std::strcmp(k, "Performance") == 0 && !valid_performance(v)) {
      *error = std::string("invalid Performance '") + v + "'";
      s.last_options = recorded;
      return nullptr;
    }
  }
  s.last_options = recorded;
  int n = device_count_locked(s);
  int chosen = -1;
  for (int i = 0; i < n; i++) {
    if (type_of(i) != type) continue;
    if (name != nullptr && name[0] != '\0' && std::strcmp(name, devices()[i].path) != 0) continue;
    chosen = i;
    break;
  }
  if (chosen < 0) {
    *error = "no Edge TPU device of that type and path";
    return nullptr;
  }
  if (busy) {
    *error = "device " + std::string(devices()[chosen].path) + " is busy";
    return nullptr;
  }
  FakeDelegate* d = new FakeDelegate;
  std::memset(&d->base, 0, sizeof d->base);
  d->base.data_ = d;
  d->base.Prepare = DelegatePrepare;
  // As libedgetpu's delegate: without this flag TFLite prepares every node before delegating,
  // and the unresolved custom-op placeholder fails that.
  d->base.flags = 1;  // kTfLiteDelegateFlagsAllowDynamicTensors
  d->magic = kMagic;
  d->device = chosen;
  d->salt = salt;
  live_delegates.fetch_add(1);
  return &d->base;
}

void destroy(TfLiteDelegate* delegate) {
  FakeDelegate* d = from(delegate);
  if (d == nullptr) return;
  d->magic = 0;
  delete d;
  live_delegates.fetch_sub(1);
}

}  // namespace

// ---- edgetpu_c.h ----

FAKE_API edgetpu_device* edgetpu_list_devices(size_t* num_devices) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  int n = device_count_locked(s);
  *num_devices = static_cast<size_t>(n);
  if (n == 0) return nullptr;
  edgetpu_device* list = static_cast<edgetpu_device*>(std::malloc(sizeof(edgetpu_device) * n));
  for (int i = 0; i < n; i++) {
    list[i].type = type_of(i);
    list[i].path = devices()[i].path;
  }
  return list;
}

FAKE_API void edgetpu_free_devices(edgetpu_device* dev) { std::free(dev); }

FAKE_API TfLiteDelegate* edgetpu_create_delegate(int type, const char* name, const edgetpu_option* options,
                                                 size_t num_options) {
  std::string error;
  TfLiteDelegate* d = create(type, name, options, num_options, &error);
  if (d == nullptr && state().verbosity > 0) std::fprintf(stderr, "fake edgetpu: %s\n", error.c_str());
  return d;
}

FAKE_API void edgetpu_free_delegate(TfLiteDelegate* delegate) { destroy(delegate); }

FAKE_API void edgetpu_verbosity(int verbosity) {
  std::lock_guard<std::mutex> lock(state().mu);
  state().verbosity = verbosity;
}

FAKE_API const char* edgetpu_version() {
  return "Whittle fake libedgetpu (test double, no hardware), RuntimeVersion(14)";
}

// ---- TFLite external-delegate plugin ABI (what Python's load_delegate and TFLite's
// external delegate call). "device" takes libedgetpu's forms: "usb", "usb:N", "pci", "pci:N",
// ":N"; every other key is passed on as an edgetpu option. ----

FAKE_API TfLiteDelegate* tflite_plugin_create_delegate(char** keys, char** values, size_t num,
                                                       void (*report_error)(const char*)) {
  int type = EDGETPU_APEX_USB;
  std::string name;
  std::vector<edgetpu_option> options;
  for (size_t i = 0; i < num; i++) {
    if (std::strcmp(keys[i], "device") == 0) {
      std::string v = values[i];
      if (v.rfind("pci", 0) == 0) type = EDGETPU_APEX_PCI;
      size_t colon = v.find(':');
      if (colon != std::string::npos) {
        int index = std::atoi(v.c_str() + colon + 1);
        if (index >= 0 && index < kMaxDevices) {
          name = devices()[index].path;
          type = type_of(index);
        }
      }
    } else {
      options.push_back(edgetpu_option{keys[i], values[i]});
    }
  }
  std::string error;
  TfLiteDelegate* d = create(type, name.empty() ? nullptr : name.c_str(), options.data(), options.size(), &error);
  if (d == nullptr && report_error != nullptr) report_error(("fake edgetpu: " + error).c_str());
  return d;
}

FAKE_API void tflite_plugin_destroy_delegate(TfLiteDelegate* delegate) { destroy(delegate); }

// ---- Test hooks ----

FAKE_API void fake_edgetpu_configure(const char* key, const char* value) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (std::strcmp(key, "devices") == 0) {
    int n = std::atoi(value);
    s.devices = n < 0 ? 0 : n > kMaxDevices ? kMaxDevices : n;
  } else if (std::strcmp(key, "busy") == 0) {
    s.busy = std::strcmp(value, "1") == 0;
  }
}

FAKE_API void fake_edgetpu_reset() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.devices = 1;
  s.busy = false;
  s.last_options.clear();
  claimed_nodes.store(0);
  invokes.store(0);
}

FAKE_API const char* fake_edgetpu_last_options() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.last_options_copy = s.last_options;
  return s.last_options_copy.c_str();
}

FAKE_API int fake_edgetpu_live_delegates() { return live_delegates.load(); }
FAKE_API long fake_edgetpu_claimed_nodes() { return claimed_nodes.load(); }
FAKE_API long fake_edgetpu_invokes() { return invokes.load(); }

// Sizes and offsets of the mirrored structs, in this order: sizeof TfLiteTensor, offsetof
// data, bytes; sizeof TfLiteNode, offsetof inputs, outputs, user_data; sizeof
// TfLiteRegistration, offsetof invoke, custom_name, inplace_operator; sizeof TfLiteDelegate,
// offsetof Prepare, flags; offsetof TfLiteContext tensors, GetExecutionPlan,
// GetNodeAndRegistration, ReplaceNodeSubsetsWithDelegateKernels. Returns how many it wrote.
FAKE_API int fake_edgetpu_layout(int64_t* out, int capacity) {
  const int64_t v[] = {
      sizeof(TfLiteTensor), offsetof(TfLiteTensor, data), offsetof(TfLiteTensor, bytes),
      sizeof(TfLiteNode), offsetof(TfLiteNode, inputs), offsetof(TfLiteNode, outputs),
      offsetof(TfLiteNode, user_data),
      sizeof(TfLiteRegistration), offsetof(TfLiteRegistration, invoke), offsetof(TfLiteRegistration, custom_name),
      offsetof(TfLiteRegistration, inplace_operator),
      sizeof(TfLiteDelegate), offsetof(TfLiteDelegate, Prepare), offsetof(TfLiteDelegate, flags),
      offsetof(TfLiteContext, tensors), offsetof(TfLiteContext, GetExecutionPlan),
      offsetof(TfLiteContext, GetNodeAndRegistration), offsetof(TfLiteContext, ReplaceNodeSubsetsWithDelegateKernels),
  };
  int n = static_cast<int>(sizeof v / sizeof v[0]);
  if (capacity < n) n = capacity;
  for (int i = 0; i < n; i++) out[i] = v[i];
  return n;
}
