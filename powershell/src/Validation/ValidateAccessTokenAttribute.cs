// -AccessToken takes a SecureString or a string: one parameter for both, as
// (Get-AzAccessToken).Token is a SecureString since Az.Accounts 5 and a string before.
using System.Management.Automation;
using System.Security;

namespace BastionSession.Validation
{
    /// <summary>Accepts a SecureString or a string; refuses anything else.</summary>
    public sealed class ValidateAccessTokenAttribute : ValidateArgumentsAttribute
    {
        /// <summary>Checks the bound value.</summary>
        /// <param name="arguments">The value.</param>
        /// <param name="engineIntrinsics">Unused.</param>
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            object value = arguments is PSObject ? ((PSObject)arguments).BaseObject : arguments;
            if (!(value is SecureString || value is string))
                throw new ValidationMetadataException("AccessToken must be a SecureString or a string.");
        }
    }
}
