// PortAudio, loaded at run time (dlopen) on first use: `import siperb`, SIP, files and buffers
// work on a host without libportaudio, and the device functions say what is missing.
#pragma once

#include <portaudio.h>

namespace siperb::audio {

// The PortAudio functions siperb calls, resolved from the shared library.
struct PortAudioApi {
    decltype(&Pa_Initialize) Initialize;
    decltype(&Pa_Terminate) Terminate;
    decltype(&Pa_GetErrorText) GetErrorText;
    decltype(&Pa_GetDeviceCount) GetDeviceCount;
    decltype(&Pa_GetDeviceInfo) GetDeviceInfo;
    decltype(&Pa_GetDefaultInputDevice) GetDefaultInputDevice;
    decltype(&Pa_GetDefaultOutputDevice) GetDefaultOutputDevice;
    decltype(&Pa_GetHostApiInfo) GetHostApiInfo;
    decltype(&Pa_IsFormatSupported) IsFormatSupported;
    decltype(&Pa_OpenStream) OpenStream;
    decltype(&Pa_StartStream) StartStream;
    decltype(&Pa_StopStream) StopStream;
    decltype(&Pa_AbortStream) AbortStream;
    decltype(&Pa_CloseStream) CloseStream;
    decltype(&Pa_IsStreamActive) IsStreamActive;
};

// The loaded API; the first call loads the library ($SIPERB_PORTAUDIO_LIBRARY, else
// libportaudio.so.2 / libportaudio.2.dylib). Throws MediaError("portaudio", ...) naming the
// library and the package to install when it cannot be loaded; a later call tries again.
const PortAudioApi& portaudio();

}  // namespace siperb::audio
