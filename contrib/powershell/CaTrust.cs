// The trust behind Connect-ThingConnectPulse -CaFile, loaded with Add-Type -Path.
//
// Invoke-RestMethod takes no trusted roots of its own, so a connection made with -CaFile sends
// its requests through an HttpClient whose handler validates Pulse's certificate here. This is
// C# rather than a PowerShell scriptblock because the TLS stack calls the validation callback
// on a thread that has no PowerShell runspace, where a scriptblock fails.
//
// Needs .NET 5 or newer (PowerShell 7.1 or newer) for X509ChainPolicy.CustomTrustStore.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;

namespace ThingConnectPulse
{
    /// <summary>
    /// Trusts the certificates of one PEM file as the only roots for Pulse's certificate: the
    /// system's store is not consulted, and the certificate must still name the host that the
    /// request went to. Makes the handler of the module's HttpClient, and keeps why it last
    /// refused a certificate, because the exception HttpClient throws then does not say.
    /// </summary>
    public sealed class CaTrust
    {
        // TLS server authentication: the only use Pulse's certificate is accepted for.
        private static readonly Oid ServerAuthentication = new Oid("1.3.6.1.5.5.7.3.1");

        private readonly string caFile;
        private readonly X509Certificate2Collection roots = new X509Certificate2Collection();
        private string refusal;

        /// <summary>Reads every certificate of <paramref name="caFile"/> (PEM, one or more).</summary>
        /// <exception cref="ArgumentException">The file holds no PEM certificate.</exception>
        public CaTrust(string caFile)
        {
            this.caFile = caFile;
            const string fix = "give the certificate of the CA that signed Pulse's certificate, as PEM text (-----BEGIN CERTIFICATE-----)";
            try
            {
                roots.ImportFromPemFile(caFile);
            }
            catch (CryptographicException error)
            {
                throw new ArgumentException(caFile + " is not a PEM certificate file (" + error.Message + "): " + fix, error);
            }
            if (roots.Count == 0)
            {
                throw new ArgumentException(caFile + " holds no certificate: " + fix);
            }
        }

        /// <summary>The subjects of the trusted certificates, for the connection to show.</summary>
        public string[] Subjects
        {
            get { return roots.Cast<X509Certificate2>().Select(root => root.Subject).ToArray(); }
        }

        /// <summary>A handler that accepts only certificates this trust validates.</summary>
        public HttpClientHandler CreateHandler()
        {
            var handler = new HttpClientHandler();
            handler.ServerCertificateCustomValidationCallback = Validate;
            return handler;
        }

        /// <summary>Why the last certificate was refused, or null; cleared by reading it.</summary>
        public string TakeRefusal()
        {
            return Interlocked.Exchange(ref refusal, null);
        }

        private bool Validate(HttpRequestMessage request, X509Certificate2 certificate, X509Chain offered, SslPolicyErrors errors)
        {
            string reason = Refusal(request.RequestUri.Host, certificate, offered, errors);
            if (reason != null)
            {
                Interlocked.Exchange(ref refusal, reason);
            }
            return reason == null;
        }

        // Null when the certificate is accepted, else why not. The system's verdict on the chain
        // (RemoteCertificateChainErrors) is ignored, because the system does not know the CA;
        // its verdict on the name is kept.
        private string Refusal(string host, X509Certificate2 certificate, X509Chain offered, SslPolicyErrors errors)
        {
            if (certificate == null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                return "Pulse at " + host + " sent no certificate";
            }
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return "Pulse's certificate (" + certificate.Subject + ") is not made out to " + host
                    + ": give -Server a name or address that the certificate lists";
            }
            using (var chain = new X509Chain())
            {
                X509ChainPolicy policy = chain.ChainPolicy;
                policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                policy.CustomTrustStore.AddRange(roots);
                // a plant's CA seldom publishes revocation lists, and HttpClient checks none by default
                policy.RevocationMode = X509RevocationMode.NoCheck;
                policy.ApplicationPolicy.Add(ServerAuthentication);
                // the intermediates Pulse sent: they help build the chain, but trust none
                foreach (X509Certificate2 intermediate in Offered(offered))
                {
                    policy.ExtraStore.Add(intermediate);
                }
                if (chain.Build(certificate))
                {
                    return null;
                }
                IEnumerable<string> problems = chain.ChainStatus.Select(
                    status => status.Status + " (" + status.StatusInformation.Trim() + ")");
                return "Pulse's certificate (" + certificate.Subject + ") does not chain to a certificate of "
                    + caFile + ": " + string.Join(", ", problems);
            }
        }

        private static IEnumerable<X509Certificate2> Offered(X509Chain offered)
        {
            if (offered == null)
            {
                return Enumerable.Empty<X509Certificate2>();
            }
            return offered.ChainPolicy.ExtraStore.Cast<X509Certificate2>()
                .Concat(offered.ChainElements.Cast<X509ChainElement>().Select(element => element.Certificate));
        }
    }
}
