/**
 * Graph functions for tfjs-node's binding (added by inertia's scripts/native/install.mjs).
 *
 * Exports: buildFunction(name, nodes, inputs, outputs) builds a TF_Graph from a list of nodes (each an
 * op type, attributes in executeOp's format, input edges, and for Const nodes a value), turns it
 * into a function with TF_GraphToFunction and registers it in the binding's eager context with
 * TFE_ContextAddFunction; executeOp(name, [], inputIds, numOutputs) then runs the whole graph as
 * one op. removeFunction(name) unregisters it.
 *
 * A node's `inputs` are flat pairs [node index, output index]; list-typed op arguments (the
 * `values` of ConcatV2, the `inputs` of AddN) are grouped by reading the op's OpDef.
 */
#include "inertia_graph.h"
#include "inertia_graph_patch.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"
#include "tf_auto_status.h"
#include "tfjs_backend.h"
#include "utils.h"

namespace tfnodejs {

namespace {

/** The parts of an OpDef input argument needed to group flat inputs into lists. */
struct InputArg {
  std::string number_attr;     // list of N tensors of one type (N from this attr)
  std::string type_list_attr;  // list of tensors of several types
};

bool ReadVarint(const uint8_t *&p, const uint8_t *end, uint64_t *value) {
  *value = 0;
  for (int shift = 0; p < end && shift < 64; shift += 7) {
    uint8_t byte = *p++;
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

/** Calls on_field(field, wire_type, data, length or varint) for each field of a message. */
template <typename F>
bool ForEachField(const uint8_t *p, const uint8_t *end, F on_field) {
  while (p < end) {
    uint64_t key;
    if (!ReadVarint(p, end, &key)) return false;
    const int field = static_cast<int>(key >> 3);
    const int wire = static_cast<int>(key & 7);
    uint64_t value = 0;
    const uint8_t *data = p;
    switch (wire) {
      case 0:
        if (!ReadVarint(p, end, &value)) return false;
        break;
      case 1:
        p += 8;
        break;
      case 2:
        if (!ReadVarint(p, end, &value) || value > static_cast<uint64_t>(end - p)) return false;
        data = p;
        p += value;
        break;
      case 5:
        p += 4;
        break;
      default:
        return false;
    }
    if (p > end) return false;
    on_field(field, wire, data, value);
  }
  return true;
}

/** The input arguments of `op_type` from the serialized OpDef (TF_GraphGetOpDef). */
bool InputArgsOf(TF_Graph *graph, const std::string &op_type, std::vector<InputArg> *args, std::string *error) {
  TF_AutoStatus status;
  TF_Buffer *buffer = TF_NewBuffer();
  TF_GraphGetOpDef(graph, op_type.c_str(), buffer, status.status);
  if (TF_GetCode(status.status) != TF_OK) {
    *error = TF_Message(status.status);
    TF_DeleteBuffer(buffer);
    return false;
  }
  const uint8_t *begin = static_cast<const uint8_t *>(buffer->data);
  bool ok = ForEachField(begin, begin + buffer->length, [&](int field, int wire, const uint8_t *data, uint64_t length) {
    if (field != 2 || wire != 2) return;  // OpDef.input_arg
    InputArg arg;
    ForEachField(data, data + length, [&](int f, int w, const uint8_t *d, uint64_t n) {
      if (w != 2) return;
      if (f == 5) arg.number_attr.assign(reinterpret_cast<const char *>(d), n);
      if (f == 6) arg.type_list_attr.assign(reinterpret_cast<const char *>(d), n);
    });
    args->push_back(arg);
  });
  TF_DeleteBuffer(buffer);
  if (!ok) *error = "unreadable OpDef for " + op_type;
  return ok;
}

/** What an N-API getter (napi_get_value_int64, napi_is_array, ...) writes, or T{} where it fails. */
template <typename T, typename Getter, typename... Args>
T Read(Getter getter, napi_env env, Args... args) {
  T result{};
  getter(env, args..., &result);
  return result;
}

napi_value Property(napi_env env, napi_value object, const char *name) {
  return Read<napi_value>(napi_get_named_property, env, object, name);
}
bool IsArrayValue(napi_env env, napi_value value) { return Read<bool>(napi_is_array, env, value); }
uint32_t ArrayLength(napi_env env, napi_value array) { return Read<uint32_t>(napi_get_array_length, env, array); }
napi_value Element(napi_env env, napi_value array, uint32_t i) {
  return Read<napi_value>(napi_get_element, env, array, i);
}
int64_t IntOf(napi_env env, napi_value value) { return Read<int64_t>(napi_get_value_int64, env, value); }
double DoubleOf(napi_env env, napi_value value) { return Read<double>(napi_get_value_double, env, value); }
bool BoolOf(napi_env env, napi_value value) { return Read<bool>(napi_get_value_bool, env, value); }

std::string StringOf(napi_env env, napi_value value) {
  std::string result;
  GetStringParam(env, value, result);
  return result;
}

/**
 * Sets an attribute of one value, or a list of n values when `list`: each element converted by
 * `of`, set with `one` or `many` (TF_SetAttrInt and TF_SetAttrIntList, and their kin).
 */
template <typename T, typename Of>
void SetValueOrList(napi_env env, TF_OperationDescription *desc, const std::string &name, napi_value value,
                    bool list, uint32_t n, Of of, void (*one)(TF_OperationDescription *, const char *, T),
                    void (*many)(TF_OperationDescription *, const char *, const T *, int)) {
  if (!list) {
    one(desc, name.c_str(), of(value));
    return;
  }
  std::vector<T> values(n);
  for (uint32_t i = 0; i < n; i++) values[i] = of(Element(env, value, i));
  many(desc, name.c_str(), values.data(), static_cast<int>(n));
}

/** Sets one attribute given in executeOp's format ({name, type, value}) on an op description. */
bool SetAttr(napi_env env, TF_OperationDescription *desc, napi_value attr, std::string *error) {
  const std::string name = StringOf(env, Property(env, attr, "name"));
  const int type = static_cast<int>(IntOf(env, Property(env, attr, "type")));
  napi_value value = Property(env, attr, "value");
  const bool list = IsArrayValue(env, value);
  const uint32_t n = list ? ArrayLength(env, value) : 0;
  TF_AutoStatus status;
  switch (type) {
    case TF_ATTR_STRING: {
      const std::string s = StringOf(env, value);
      TF_SetAttrString(desc, name.c_str(), s.data(), s.size());
      break;
    }
    case TF_ATTR_INT:
      SetValueOrList(env, desc, name, value, list, n, [env](napi_value v) { return IntOf(env, v); },
                     TF_SetAttrInt, TF_SetAttrIntList);
      break;
    case TF_ATTR_FLOAT:
      SetValueOrList(env, desc, name, value, list, n,
                     [env](napi_value v) { return static_cast<float>(DoubleOf(env, v)); }, TF_SetAttrFloat,
                     TF_SetAttrFloatList);
      break;
    case TF_ATTR_BOOL:
      SetValueOrList(env, desc, name, value, list, n,
                     [env](napi_value v) { return static_cast<unsigned char>(BoolOf(env, v) ? 1 : 0); },
                     TF_SetAttrBool, TF_SetAttrBoolList);
      break;
    case TF_ATTR_TYPE:
      SetValueOrList(env, desc, name, value, list, n,
                     [env](napi_value v) { return static_cast<TF_DataType>(IntOf(env, v)); }, TF_SetAttrType,
                     TF_SetAttrTypeList);
      break;
    case TF_ATTR_SHAPE: {
      std::vector<int64_t> dims(n);
      for (uint32_t i = 0; i < n; i++) dims[i] = IntOf(env, Element(env, value, i));
      TF_SetAttrShape(desc, name.c_str(), dims.data(), list ? static_cast<int>(n) : -1);
      break;
    }
    default:
      *error = "attribute " + name + " has an unsupported type " + std::to_string(type);
      return false;
  }
  return true;
}

/** The integer value of attribute `name` in a node's attribute list, or -1. */
int64_t IntAttr(napi_env env, napi_value attrs, const std::string &name) {
  const uint32_t n = ArrayLength(env, attrs);
  for (uint32_t i = 0; i < n; i++) {
    napi_value attr = Element(env, attrs, i);
    if (StringOf(env, Property(env, attr, "name")) == name) return IntOf(env, Property(env, attr, "value"));
  }
  return -1;
}

/** Sets a Const node's `value` from {dtype, shape, data: TypedArray}. */
bool SetConstValue(napi_env env, TF_OperationDescription *desc, napi_value value, std::string *error) {
  const TF_DataType dtype = static_cast<TF_DataType>(IntOf(env, Property(env, value, "dtype")));
  napi_value shape_value = Property(env, value, "shape");
  const uint32_t rank = ArrayLength(env, shape_value);
  std::vector<int64_t> dims(rank);
  for (uint32_t i = 0; i < rank; i++) dims[i] = IntOf(env, Element(env, shape_value, i));
  napi_typedarray_type array_type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, Property(env, value, "data"), &array_type, &length, &data, &buffer, &offset) !=
      napi_ok) {
    *error = "a Const node's data is not a typed array";
    return false;
  }
  const size_t bytes = length * TF_DataTypeSize(dtype);
  TF_Tensor *tensor = TF_AllocateTensor(dtype, dims.data(), static_cast<int>(rank), bytes);
  if (tensor == nullptr || TF_TensorByteSize(tensor) != bytes) {
    if (tensor != nullptr) TF_DeleteTensor(tensor);
    *error = "a Const node's data does not match its shape and dtype";
    return false;
  }
  if (bytes > 0) std::memcpy(TF_TensorData(tensor), data, bytes);
  TF_AutoStatus status;
  TF_SetAttrTensor(desc, "value", tensor, status.status);
  TF_DeleteTensor(tensor);
  if (TF_GetCode(status.status) != TF_OK) {
    *error = TF_Message(status.status);
    return false;
  }
  return true;
}

/** Adds one node to `graph`; `built` holds the nodes before it. */
TF_Operation *AddNode(napi_env env, TF_Graph *graph, napi_value node, uint32_t index,
                      const std::vector<TF_Operation *> &built, std::string *error) {
  const std::string op_type = StringOf(env, Property(env, node, "op"));
  const std::string node_name = "n" + std::to_string(index);
  napi_value attrs = Property(env, node, "attrs");
  napi_value inputs = Property(env, node, "inputs");
  const uint32_t flat = ArrayLength(env, inputs) / 2;
  std::vector<TF_Output> edges(flat);
  for (uint32_t i = 0; i < flat; i++) {
    const int64_t from = IntOf(env, Element(env, inputs, 2 * i));
    if (from < 0 || from >= static_cast<int64_t>(built.size())) {
      *error = "node " + node_name + " (" + op_type + ") has an input from a later node";
      return nullptr;
    }
    edges[i] = TF_Output{built[from], static_cast<int>(IntOf(env, Element(env, inputs, 2 * i + 1)))};
  }
  std::vector<InputArg> args;
  if (flat > 0 && !InputArgsOf(graph, op_type, &args, error)) return nullptr;

  TF_OperationDescription *desc = TF_NewOperation(graph, op_type.c_str(), node_name.c_str());
  size_t next = 0;
  for (const InputArg &arg : args) {
    if (!arg.type_list_attr.empty()) {
      *error = op_type + " takes a list of mixed types, which graph functions do not support here";
      return nullptr;
    }
    if (arg.number_attr.empty()) {
      if (next >= edges.size()) break;
      TF_AddInput(desc, edges[next++]);
    } else {
      const int64_t count = IntAttr(env, attrs, arg.number_attr);
      if (count < 0 || next + count > edges.size()) {
        *error = op_type + " needs its " + arg.number_attr + " attribute to group its inputs";
        return nullptr;
      }
      TF_AddInputList(desc, edges.data() + next, static_cast<int>(count));
      next += count;
    }
  }
  if (next != edges.size()) {
    *error = op_type + " was given " + std::to_string(edges.size()) + " inputs, its OpDef takes " + std::to_string(next);
    return nullptr;
  }
  const uint32_t num_attrs = ArrayLength(env, attrs);
  for (uint32_t i = 0; i < num_attrs; i++) {
    if (!SetAttr(env, desc, Element(env, attrs, i), error)) return nullptr;
  }
  napi_value value = Property(env, node, "value");
  napi_valuetype value_type;
  napi_typeof(env, value, &value_type);
  if (value_type == napi_object && !SetConstValue(env, desc, value, error)) return nullptr;
  TF_AutoStatus status;
  TF_Operation *op = TF_FinishOperation(desc, status.status);
  if (TF_GetCode(status.status) != TF_OK) {
    *error = node_name + " (" + op_type + "): " + TF_Message(status.status);
    return nullptr;
  }
  return op;
}

std::vector<TF_Output> OutputsOf(napi_env env, napi_value pairs, const std::vector<TF_Operation *> &built) {
  std::vector<TF_Output> outputs;
  const uint32_t n = ArrayLength(env, pairs) / 2;
  for (uint32_t i = 0; i < n; i++) {
    const int64_t node = IntOf(env, Element(env, pairs, 2 * i));
    if (node < 0 || node >= static_cast<int64_t>(built.size())) return {};
    outputs.push_back(TF_Output{built[node], static_cast<int>(IntOf(env, Element(env, pairs, 2 * i + 1)))});
  }
  return outputs;
}

}  // namespace

namespace {

TFE_Context *ContextOf(napi_env env) {
  TFJSBackend *backend = nullptr;
  if (napi_get_instance_data(env, reinterpret_cast<void **>(&backend)) != napi_ok || backend == nullptr) {
    NAPI_THROW_ERROR(env, "the TensorFlow binding is not initialised");
    return nullptr;
  }
  return backend->context();
}

napi_value Undefined(napi_env env) {
  napi_value result;
  napi_get_undefined(env, &result);
  return result;
}

/** buildFunction(name: string, nodes: Node[], inputs: number[], outputs: number[]). */
napi_value BuildFunction(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  ENSURE_NAPI_OK_RETVAL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr), nullptr);
  if (argc < 4) {
    NAPI_THROW_ERROR(env, "buildFunction() takes 4 arguments (name, nodes, inputs, outputs), got %d",
                     static_cast<int>(argc));
    return nullptr;
  }
  ENSURE_VALUE_IS_STRING_RETVAL(env, args[0], nullptr);
  for (int i = 1; i < 4; i++) ENSURE_VALUE_IS_ARRAY_RETVAL(env, args[i], nullptr);
  TFE_Context *context = ContextOf(env);
  if (context == nullptr) return nullptr;

  const std::string name = StringOf(env, args[0]);
  std::unique_ptr<TF_Graph, decltype(&TF_DeleteGraph)> graph(TF_NewGraph(), TF_DeleteGraph);
  std::vector<TF_Operation *> built;
  std::string error;
  const uint32_t count = ArrayLength(env, args[1]);
  for (uint32_t i = 0; i < count; i++) {
    TF_Operation *op = AddNode(env, graph.get(), Element(env, args[1], i), i, built, &error);
    if (op == nullptr) {
      NAPI_THROW_ERROR(env, "buildFunction %s: %s", name.c_str(), error.c_str());
      return nullptr;
    }
    built.push_back(op);
  }
  const std::vector<TF_Output> inputs = OutputsOf(env, args[2], built);
  const std::vector<TF_Output> outputs = OutputsOf(env, args[3], built);
  if (inputs.size() * 2 != ArrayLength(env, args[2]) || outputs.size() * 2 != ArrayLength(env, args[3])) {
    NAPI_THROW_ERROR(env, "buildFunction %s: an input or output names a node that does not exist", name.c_str());
    return nullptr;
  }
  TF_AutoStatus status;
  TF_Function *function =
      TF_GraphToFunction(graph.get(), name.c_str(), 0, -1, nullptr, static_cast<int>(inputs.size()), inputs.data(),
                         static_cast<int>(outputs.size()), outputs.data(), nullptr, nullptr, nullptr, status.status);
  if (TF_GetCode(status.status) != TF_OK) {
    NAPI_THROW_ERROR(env, "buildFunction %s: %s", name.c_str(), TF_Message(status.status));
    return nullptr;
  }
  TFE_ContextAddFunction(context, function, status.status);
  TF_DeleteFunction(function);
  if (TF_GetCode(status.status) != TF_OK) {
    NAPI_THROW_ERROR(env, "buildFunction %s: %s", name.c_str(), TF_Message(status.status));
    return nullptr;
  }
  return Undefined(env);
}

/** removeFunction(name: string): unregisters a function (no-op when unknown). */
napi_value RemoveFunction(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  ENSURE_NAPI_OK_RETVAL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr), nullptr);
  if (argc < 1) {
    NAPI_THROW_ERROR(env, "removeFunction() takes 1 argument (name)");
    return nullptr;
  }
  ENSURE_VALUE_IS_STRING_RETVAL(env, args[0], nullptr);
  TFE_Context *context = ContextOf(env);
  if (context == nullptr) return nullptr;
  const std::string name = StringOf(env, args[0]);
  if (TFE_ContextHasFunction(context, name.c_str())) {
    TF_AutoStatus status;
    TFE_ContextRemoveFunction(context, name.c_str(), status.status);
    if (TF_GetCode(status.status) != TF_OK) {
      NAPI_THROW_ERROR(env, "removeFunction %s: %s", name.c_str(), TF_Message(status.status));
      return nullptr;
    }
  }
  return Undefined(env);
}

}  // namespace

void DefineGraphFunctionExports(napi_env env, napi_value exports) {
  napi_value version;
  napi_create_int32(env, INERTIA_GRAPH_FUNCTIONS_VERSION, &version);
  napi_value patch;
  napi_create_string_utf8(env, INERTIA_GRAPH_PATCH, NAPI_AUTO_LENGTH, &patch);
  napi_property_descriptor properties[] = {
      {"buildFunction", nullptr, BuildFunction, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"removeFunction", nullptr, RemoveFunction, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphFunctionsVersion", nullptr, nullptr, nullptr, nullptr, version, napi_default, nullptr},
      {"graphFunctionsPatch", nullptr, nullptr, nullptr, nullptr, patch, napi_default, nullptr},
  };
  ENSURE_NAPI_OK(env, napi_define_properties(env, exports, ARRAY_SIZE(properties), properties));
}

}  // namespace tfnodejs
