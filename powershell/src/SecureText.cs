// A SecureString's text, for the one moment it is put in a request (a -AccessToken given
// as a SecureString, or Az.Accounts 5's token).
using System;
using System.Runtime.InteropServices;

namespace BastionSession
{
    /// <summary>SecureString to text, through a BSTR that is zeroed and freed at once.</summary>
    public static class SecureText
    {
        /// <summary>The plain text of a SecureString.</summary>
        /// <param name="secure">The SecureString.</param>
        public static string ToPlainText(System.Security.SecureString secure)
        {
            if (secure == null) return null;
            IntPtr bstr = Marshal.SecureStringToBSTR(secure);
            try { return Marshal.PtrToStringBSTR(bstr); }
            finally { Marshal.ZeroFreeBSTR(bstr); }
        }
    }
}
