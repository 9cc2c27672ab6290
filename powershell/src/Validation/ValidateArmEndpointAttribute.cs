// -ArmEndpoint must be an absolute http(s) URI; whether plain HTTP is allowed (loopback
// only) is the native library's rule, reported as BastionInsecureEndpoint.
using System;
using System.Management.Automation;

namespace BastionSession.Validation
{
    /// <summary>Accepts an absolute http or https URI.</summary>
    public sealed class ValidateArmEndpointAttribute : ValidateArgumentsAttribute
    {
        /// <summary>Checks the bound value.</summary>
        /// <param name="arguments">The value (a Uri).</param>
        /// <param name="engineIntrinsics">Unused.</param>
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            var uri = (arguments is PSObject ? ((PSObject)arguments).BaseObject : arguments) as Uri;
            if (uri == null || !uri.IsAbsoluteUri || (uri.Scheme != "https" && uri.Scheme != "http"))
                throw new ValidationMetadataException("ArmEndpoint must be an absolute http(s) URI.");
        }
    }
}
