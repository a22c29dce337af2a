// dlopen of PortAudio: the library handle is kept for the life of the process (PortAudio's
// host APIs start threads that must not outlive their code).
#include "audio/portaudio_api.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include "common/error.hpp"

namespace siperb::audio {
namespace {

#if defined(__APPLE__)
constexpr const char* kLibraries[] = {"libportaudio.2.dylib", "/opt/homebrew/lib/libportaudio.2.dylib",
                                      "/usr/local/lib/libportaudio.2.dylib"};
constexpr const char* kInstall = "brew install portaudio";
#else
constexpr const char* kLibraries[] = {"libportaudio.so.2", "libportaudio.so"};
constexpr const char* kInstall = "apt-get install libportaudio2, or dnf install portaudio";
#endif

void* open_library(std::string& tried) {
    if (const char* path = std::getenv("SIPERB_PORTAUDIO_LIBRARY"); path && *path) {
        tried = path;
        return ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
    }
    for (const char* name : kLibraries) {
        if (void* h = ::dlopen(name, RTLD_NOW | RTLD_LOCAL)) return h;
        tried += tried.empty() ? name : std::string(", ") + name;
    }
    return nullptr;
}

template <typename F>
void resolve(void* handle, F& slot, const char* name) {
    void* sym = ::dlsym(handle, name);
    if (sym == nullptr)
        throw MediaError("portaudio", std::string("the PortAudio library has no ") + name + " (too old?)");
    slot = reinterpret_cast<F>(sym);
}

PortAudioApi load() {
    std::string tried;
    void* h = open_library(tried);
    if (h == nullptr)
        throw MediaError("portaudio", "audio devices need PortAudio, which is not installed (tried " + tried +
                                          "; " + kInstall + "); calls, files and buffers work without it");
    PortAudioApi api{};
    resolve(h, api.Initialize, "Pa_Initialize");
    resolve(h, api.Terminate, "Pa_Terminate");
    resolve(h, api.GetErrorText, "Pa_GetErrorText");
    resolve(h, api.GetDeviceCount, "Pa_GetDeviceCount");
    resolve(h, api.GetDeviceInfo, "Pa_GetDeviceInfo");
    resolve(h, api.GetDefaultInputDevice, "Pa_GetDefaultInputDevice");
    resolve(h, api.GetDefaultOutputDevice, "Pa_GetDefaultOutputDevice");
    resolve(h, api.GetHostApiInfo, "Pa_GetHostApiInfo");
    resolve(h, api.IsFormatSupported, "Pa_IsFormatSupported");
    resolve(h, api.OpenStream, "Pa_OpenStream");
    resolve(h, api.StartStream, "Pa_StartStream");
    resolve(h, api.StopStream, "Pa_StopStream");
    resolve(h, api.AbortStream, "Pa_AbortStream");
    resolve(h, api.CloseStream, "Pa_CloseStream");
    resolve(h, api.IsStreamActive, "Pa_IsStreamActive");
    return api;
}

}  // namespace

const PortAudioApi& portaudio() {
    static const PortAudioApi api = load();  // a throw leaves it unset: the next call retries
    return api;
}

}  // namespace siperb::audio
