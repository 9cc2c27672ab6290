/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, which wine 8 lacks.
 *
 * Rust's standard library (1.78 and later) fills its random numbers (HashMap keys ...)
 * from ProcessPrng in bcryptprimitives.dll. wine 8.0 has no such DLL, so any Rust
 * program for Windows fails to load under it. This stub exports ProcessPrng over
 * advapi32's RtlGenRandom (SystemFunction036), which wine implements. The Windows lane
 * (tests/windows/run-lane.sh) builds it with mingw and installs it into its own wine
 * prefix only. It is never shipped: on Windows 10/11 the real DLL is always present.
 */
#include <windows.h>

/* RtlGenRandom's real export name; declared here because the headers hide it. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Fills data with len random bytes; RtlGenRandom takes at most ULONG bytes per call. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
